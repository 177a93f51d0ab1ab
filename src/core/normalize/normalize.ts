/**
 * Header normalization: the pure rules that turn an instrument's primary header into the archive's — archive id,
 * DATE-OBS/UT repair, INSTRUME, image type, level, semester, program, proprietary period, original file name,
 * ingestion software and date. Each rule returns edits and warnings; {@link normalizeHeader} applies them to a
 * copy and reports the values the archive needs. CHECKSUM/DATASUM come last, written by whoever writes the
 * bytes. The instrument's original file is never touched: normalization works on a copy of its header.
 *
 * @module
 */
import { IngestError } from '../errors.js';
import type { Header } from '../fits/header.js';
import { VERSION } from '../version.js';
import { makeArchiveId } from '../instruments/archive-id.js';
import { evaluateImageType, evaluateProprietaryMonths, resolveKeyword, valueText } from '../instruments/rules.js';
import type { InstrumentDescription } from '../instruments/schema.js';
import { semesterOf } from '../instruments/semester.js';
import { withHdus } from '../instruments/header-view.js';
import { repairObservationTime } from './date-time.js';
import { nightOf } from './night.js';
import { recordOriginals } from './originals.js';
import { provenanceEdits } from './product-provenance.js';
import type { HeaderEdit, NormalizeContext, NormalizeWarning } from './types.js';

/** What normalization produced. */
export interface NormalizedHeader {
  /** A normalized copy of the header (the input is not changed). */
  header: Header;
  instrument: string;
  /** Archive id without extension, e.g. `KB.20260101.12345.67`. */
  archiveId: string;
  /** Observation date (UT), YYYY-MM-DD. */
  date: string;
  /** The night the archive files it under, YYYY-MM-DD, by the site's rule (src/core/normalize/night.ts). */
  night: string;
  utSeconds: number;
  imageType: string;
  semester?: string;
  program?: string;
  pi?: string;
  proprietaryMonths: number;
  /** night + proprietary period, YYYY-MM-DD. */
  releaseDate: string;
  edits: HeaderEdit[];
  warnings: NormalizeWarning[];
}

/** Adds `months` calendar months to a YYYY-MM-DD date (clamping the day to the month's end). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, last));
  return target.toISOString().slice(0, 10);
}

/**
 * The value written in the archive-id keyword: Keck's KOAID carries the `.fits` suffix (KOA's convention); a
 * template id is written exactly as the template builds it.
 */
export function archiveIdValue(description: Pick<InstrumentDescription, 'archiveId'>, archiveId: string): string {
  return description.archiveId.scheme === 'keck' ? `${archiveId}.fits` : archiveId;
}

function required(keyword: string, message: string): IngestError {
  return new IngestError('NORMALIZATION_REQUIRED', message, { context: { keyword } });
}

/**
 * Normalizes a primary header for the archive. Every card it changes or adds is recorded losslessly in HISTORY
 * ORIGCARD/ORIGNONE cards ({@link recordOriginals}), so the original header can be rebuilt from the copy.
 *
 * @throws IngestError (kind invalid: BAD_DATE_OBS, BAD_UT, ARCHIVE_ID_FAILED, NORMALIZATION_REQUIRED) when a rule
 *   cannot repair the header or the policy requires a value the header lacks
 */
export function normalizeHeader(source: Header, description: InstrumentDescription, context: NormalizeContext): NormalizedHeader {
  const header = source.clone();
  // Rules may read the file's other HDUs (conditions with `hdu`); the primary is the copy being normalized.
  const rulesView = withHdus(header, [header, ...(context.extensions ?? [])]);
  const prefix = context.commentPrefix ?? 'ARCHIVE:';
  const level = context.level ?? 0;
  const out = description.outputKeywords;
  const edits: HeaderEdit[] = [];
  const warnings: NormalizeWarning[] = [];
  const add = (keyword: string, value: HeaderEdit['value'], comment: string): void => {
    edits.push({ keyword, value, comment: `${prefix} ${comment}` });
  };

  const policy = description.normalization;
  // INSTRUME: the description's name, keeping what the instrument wrote in the comment (policy: repair).
  const instrume = resolveKeyword(description, header, 'INSTRUME');
  const instrumeText = instrume ? valueText(instrume.value) : undefined;
  if (policy.instrument === 'require') {
    const names = [description.name, ...description.aliases].map((n) => n.toLowerCase());
    if (instrumeText === undefined || !names.includes(instrumeText.toLowerCase())) {
      throw required('INSTRUME', `INSTRUME is ${instrumeText === undefined ? 'missing' : `'${instrumeText}'`}, not ${description.name} or an alias, and normalization.instrument is require`);
    }
  } else if (policy.instrument === 'repair' && instrumeText !== description.name) {
    add('INSTRUME', description.name, `corrected (was ${instrumeText === undefined ? 'missing' : `'${instrumeText}'`})`);
    warnings.push({ code: 'INSTRUME_CORRECTED', keyword: 'INSTRUME', message: `INSTRUME ${instrumeText ?? 'missing'} set to ${description.name}` });
  }

  const time = repairObservationTime(description, header, context.mtimeMs);
  for (const edit of time.edits) edits.push({ ...edit, comment: `${prefix} ${edit.comment ?? ''}`.trim() });
  warnings.push(...time.warnings);
  const night = nightOf(description.site, time.date, time.utSeconds);

  // OFNAME before the archive id, so templates may use it.
  const ofname = resolveKeyword(description, header, 'OFNAME');
  const ofnameText = ofname ? valueText(ofname.value) : undefined;
  if (ofnameText === undefined) {
    if (policy.originalName === 'require') throw required('OFNAME', 'OFNAME is missing and normalization.originalName is require');
    if (policy.originalName === 'repair') add('OFNAME', context.originalName, 'original file name');
  } else if (ofnameText !== context.originalName && level > 0) {
    // A product made with its raw frame's header copied (what pipelines do) names the raw's file: a product's OFNAME
    // is its own name. The raw's value stays in the HISTORY ORIGCARD cards.
    add('OFNAME', context.originalName, `product file name (the copied header said '${ofnameText}')`);
  } else if (ofnameText !== context.originalName) {
    warnings.push({
      code: 'OFNAME_MISMATCH',
      keyword: ofname!.keyword,
      message: `${ofname!.keyword} '${ofnameText}' differs from the file name '${context.originalName}'`,
    });
  }
  // Apply the repairs before the rules that read the header (archive id templates, conditions).
  for (const edit of edits) header.set(edit.keyword, edit.value, edit.comment);
  const applied = edits.length;

  let archiveId: string;
  try {
    const made = makeArchiveId(description, {
      header: rulesView,
      date: time.date,
      utSeconds: time.utSeconds,
      night,
      originalName: context.originalName,
      ...(context.digest !== undefined ? { digest: context.digest } : {}),
    });
    archiveId = made.id;
  } catch (error) {
    throw error instanceof IngestError ? error : new IngestError('ARCHIVE_ID_FAILED', String(error), { cause: error });
  }
  add(out.archiveId, archiveIdValue(description, archiveId), 'archive id');

  const imageType = evaluateImageType(description, rulesView).type;
  if (policy.imageType === 'require' && imageType === description.imageTypeFallback) {
    throw required(out.imageType, `no image-type rule matches this frame and normalization.imageType is require`);
  }
  if (policy.imageType !== 'keep') add(out.imageType, imageType, 'image type');
  if (imageType === 'undefined') {
    warnings.push({ code: 'IMAGE_TYPE_UNDEFINED', keyword: out.imageType, message: 'no image-type rule matched' });
  }
  add(out.level, level, 'data level (0 raw, 1 quick-look, 2 reduced)');

  let semester: string | undefined;
  if (description.semester) {
    semester = semesterOf(description.semester, time.date, time.utSeconds);
    add(out.semester, semester, 'observing semester');
  }

  const programFound = resolveKeyword(description, header, 'PROGID');
  const program = programFound ? valueText(programFound.value) : undefined;
  if (program === undefined) {
    warnings.push({ code: 'PROGRAM_MISSING', keyword: 'PROGID', message: 'no program id in the header' });
  } else if (programFound!.keyword !== 'PROGID') {
    add('PROGID', program, `program id (from ${programFound!.keyword})`);
  }
  const piFound = resolveKeyword(description, header, 'PROGPI');
  const pi = piFound ? valueText(piFound.value) : undefined;
  if (pi !== undefined && piFound!.keyword !== 'PROGPI') add('PROGPI', pi, `principal investigator (from ${piFound!.keyword})`);

  const proprietaryMonths = evaluateProprietaryMonths(description, { header: rulesView, imageType, utSeconds: time.utSeconds });
  add(out.proprietaryMonths, proprietaryMonths, 'proprietary period in months');

  if (level > 0 && context.provenance) for (const edit of provenanceEdits(context.provenance)) add(edit.keyword, edit.value, edit.comment);

  add('DQA_VERS', context.software ?? `fits-ingest ${VERSION}`, 'ingestion software');
  add('DQA_DATE', new Date(context.now).toISOString().slice(0, 19), 'ingestion date (UT)');

  for (const edit of edits.slice(applied)) header.set(edit.keyword, edit.value, edit.comment);
  recordOriginals(source, header, edits.map((e) => e.keyword));
  const result: NormalizedHeader = {
    header,
    instrument: description.name,
    archiveId,
    date: time.date,
    night,
    utSeconds: time.utSeconds,
    imageType,
    proprietaryMonths,
    releaseDate: addMonths(night, proprietaryMonths),
    edits,
    warnings,
  };
  if (semester !== undefined) result.semester = semester;
  if (program !== undefined) result.program = program;
  if (pi !== undefined) result.pi = pi;
  return result;
}
