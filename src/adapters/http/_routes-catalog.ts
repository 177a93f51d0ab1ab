/**
 * The catalog over HTTP: `GET /v1/catalog` (the filters of `fits-ingest catalog query`, paged by archive id),
 * `GET /v1/nights` (nights with counts), the products of a raw frame, and `GET /v1/files/{archiveId}/calibrations`
 * (the frames the instrument's calibration rules associate with it). Answers hold only files the token may read, and
 * never the server's paths. Internal to src/adapters/http.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { ArchivedFile, ColumnPredicate, FileQuery } from '../../core/ports/catalog.js';
import { checkNight } from '../../core/normalize/night.js';
import { associateCalibrations } from '../../core/instruments/calibrations.js';
import { instrumentByName } from '../../core/instruments/find-instrument.js';
import { parsePredicate } from '../catalogs/predicate-text.js';
import { mayRead, mayUse, refusal, type Principal } from './_auth.js';

/**
 * The one read check on a cataloged file: instrument, program and the end of its proprietary period. The stored
 * date is current (an admin's extension moves it, `Catalog.setReleaseDate`), so no record is read.
 */
const readable = async (s: Services, principal: Principal, f: ArchivedFile): Promise<boolean> =>
  mayRead(principal, { instrument: f.instrument, program: f.program ?? null, releaseDate: f.releaseDate ?? null }, s.now());

async function readableOnly(s: Services, principal: Principal, files: readonly ArchivedFile[]): Promise<ArchivedFile[]> {
  const shown: ArchivedFile[] = [];
  for (const f of files) if (await readable(s, principal, f)) shown.push(f);
  return shown;
}
import { sendJson } from './_http.js';
import { API } from './protocol.js';
import type { Route, RouteContext, Services } from './_route-types.js';

const MAX_LIMIT = 1000;

/** A cataloged file as the API shows it: no paths of the server, no header (the content URL has it). */
export function catalogEntry(f: ArchivedFile) {
  const id = encodeURIComponent(f.archiveId);
  return {
    archiveId: f.archiveId,
    instrument: f.instrument,
    level: f.level,
    parents: f.parents,
    night: f.night,
    originalName: f.originalName,
    size: f.size,
    sha256: f.sha256,
    program: f.program ?? null,
    dateObs: f.dateObs ?? null,
    imageType: f.imageType ?? null,
    releaseDate: f.releaseDate ?? null,
    archivedAt: new Date(f.archivedAt).toISOString(),
    columns: f.columns,
    /** A product's parents with their roles, pipeline and parameters, as its pipeline declared them (else null). */
    provenance: f.provenance ?? null,
    urls: { file: `${API}/files/${id}`, content: `${API}/files/${id}/content` },
  };
}

const bad = (message: string, field: string) => new IngestError('BAD_REQUEST', message, { context: { field } });

function instrumentName(s: Services, name: string): string {
  const found = instrumentByName(s.ingest.instruments, name);
  if (!found) throw bad(`no instrument ${name} in this archive`, 'instrument');
  return found.name;
}

function night(text: string, field: string): string {
  try {
    return checkNight(text, field);
  } catch (error) {
    throw bad((error as Error).message, field);
  }
}

/** The FileQuery of `GET /v1/catalog`'s parameters (without paging). */
function catalogQuery(ctx: RouteContext, s: Services): FileQuery {
  const q = ctx.query;
  const query: FileQuery = {};
  const instrument = q.get('instrument');
  if (instrument) query.instrument = instrumentName(s, instrument);
  if (q.get('program')) query.program = q.get('program')!;
  const level = q.get('level');
  if (level !== null) {
    if (!/^[012]$/.test(level)) throw bad('level is 0, 1 or 2', 'level');
    query.level = Number(level) as 0 | 1 | 2;
  }
  const on = q.get('night');
  if (on) query.nightFrom = query.nightTo = night(on, 'night');
  if (q.get('from')) query.nightFrom = night(q.get('from')!, 'from');
  if (q.get('to')) query.nightTo = night(q.get('to')!, 'to');
  if (q.get('parent')) query.parent = q.get('parent')!;
  const ids = q.getAll('archiveId');
  if (ids.length > 0) query.archiveIds = ids;
  const where: ColumnPredicate[] = [];
  for (const text of q.getAll('where')) {
    let p: ColumnPredicate;
    try {
      p = parsePredicate(text);
    } catch (error) {
      throw bad((error as Error).message.replace('--where', 'where'), 'where');
    }
    // Where the server keeps files is not the API's business.
    if (/^(source|recordid)$/i.test(p.column)) throw bad(`where: column ${p.column} cannot be queried over HTTP`, 'where');
    where.push(p);
  }
  if (where.length > 0) query.where = where;
  return query;
}

async function catalog(ctx: RouteContext, s: Services): Promise<void> {
  const query = catalogQuery(ctx, s);
  const limitText = ctx.query.get('limit') ?? '100';
  if (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_LIMIT) throw bad(`limit is 1 to ${MAX_LIMIT}`, 'limit');
  const limit = Number(limitText);
  let after = ctx.query.get('after') ?? undefined;
  const files: ArchivedFile[] = [];
  let next: string | null = null;
  // Pages of the catalog in archive-id order; files the token may not read are passed over.
  for (let round = 0; round < 100 && files.length < limit; round++) {
    const want = limit - files.length;
    const paging: ColumnPredicate[] = after === undefined ? [] : [{ column: 'archiveId', op: '>', value: after }];
    const page = await s.ingest.catalog.findArchived({ ...query, where: [...(query.where ?? []), ...paging], limit: want });
    files.push(...(await readableOnly(s, ctx.principal, page)));
    if (page.length < want) {
      next = null;
      break;
    }
    next = after = page.at(-1)!.archiveId;
  }
  sendJson(ctx.res, 200, { files: files.map(catalogEntry), next });
}

async function nights(ctx: RouteContext, s: Services): Promise<void> {
  const c = s.ingest.catalog;
  if (!c.nights) throw new IngestError('UNSUPPORTED_OPERATION', `the ${c.name} catalog cannot list nights`);
  const q = ctx.query;
  const query: { instrument?: string; nightFrom?: string; nightTo?: string } = {};
  if (q.get('instrument')) query.instrument = instrumentName(s, q.get('instrument')!);
  if (q.get('from')) query.nightFrom = night(q.get('from')!, 'from');
  if (q.get('to')) query.nightTo = night(q.get('to')!, 'to');
  const rows = (await c.nights(query)).filter((r) => mayUse(ctx.principal, r.instrument)); // counts per instrument, no program
  const byNight = new Map<string, { night: string; files: number; instruments: { instrument: string; level: number; files: number }[] }>();
  for (const r of rows) {
    const entry = byNight.get(r.night) ?? { night: r.night, files: 0, instruments: [] };
    entry.files += r.files;
    entry.instruments.push({ instrument: r.instrument, level: r.level, files: r.files });
    byNight.set(r.night, entry);
  }
  sendJson(ctx.res, 200, { nights: [...byNight.values()] });
}

/** The current products made from `archiveId` that `principal` may read. */
export async function productsOf(s: Services, principal: Principal, archiveId: string) {
  const products = await s.ingest.catalog.findArchived({ parent: archiveId, limit: MAX_LIMIT });
  return (await readableOnly(s, principal, products)).map(catalogEntry);
}

async function calibrations(ctx: RouteContext, s: Services): Promise<void> {
  const archiveId = ctx.params[0]!;
  const science = await s.ingest.catalog.getArchived(archiveId);
  const unknown = () => new IngestError('NOT_FOUND', `the archive holds no file ${archiveId}`, { context: { archiveId } });
  if (!science) throw unknown();
  if (!(await readable(s, ctx.principal, science))) throw refusal(unknown());
  const description = instrumentByName(s.ingest.instruments, science.instrument);
  if (!description) throw new IngestError('NOT_FOUND', `no description of ${science.instrument} to associate calibrations with`, { context: { archiveId } });
  const day = 86_400_000;
  const around = (offset: number) => new Date(Date.parse(`${science.night}T00:00:00Z`) + offset).toISOString().slice(0, 10);
  const hours = Math.max(0, ...description.calibrationRules.map((r) => r.withinHours));
  const span = Math.ceil(hours / 24) * day + day;
  const candidates = await s.ingest.catalog.findArchived({ instrument: science.instrument, level: 0, nightFrom: around(-span), nightTo: around(span), limit: 100_000 });
  const matches = associateCalibrations(description, science, candidates);
  sendJson(ctx.res, 200, {
    archiveId,
    imageType: science.imageType ?? null,
    rules: matches.map((m) => ({
      rule: m.rule,
      ...(m.problem ? { problem: m.problem } : {}),
      calibrations: m.calibrations.map((c) => ({ hours: c.hours, ...catalogEntry(c.frame) })),
    })),
  });
}

/** The catalog's endpoints. */
export const CATALOG_ROUTES: readonly Route[] = [
  { method: 'GET', path: `${API}/catalog`, scopes: ['read'], handler: catalog },
  { method: 'GET', path: `${API}/nights`, scopes: ['read'], handler: nights },
  { method: 'GET', path: `${API}/files/{archiveId}/calibrations`, scopes: ['read'], handler: calibrations },
];
