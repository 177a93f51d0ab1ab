/**
 * Wrapped attachments through a real ingestor (SQLite catalog, filesystem transport, the builtin instruments):
 * archived with checksums, cataloged as ATTACHMENT with their night, program and columns, restorable byte for
 * byte from the archived copy, and never a program's first frame for PI mail.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../src/adapters/catalogs/sqlite.js';
import { createFilesystemTransport } from '../../src/adapters/transports/filesystem.js';
import { attachNotifications } from '../../src/core/notify/attach.js';
import type { Notification, Notifier } from '../../src/core/ports/notifier.js';
import { builtinInstruments, createIngestor, unwrapForeignFile, verifyFile, wrapForeignFile, type Ingestor } from '../../src/index.js';
import { frameName, makeFrame } from '../../src/simulator/frames.js';
import { makeNightAttachments, writeNightAttachments } from '../../src/simulator/attachments.js';
import { fitsverify } from '../helpers/oracles.js';

let dir: string;
let ingestor: Ingestor;
const mail: Notification[] = [];
const recorder: Notifier = { name: 'recorder', capabilities: { addressed: true }, send: async (n) => void mail.push(n) };
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'attach-ingest-'));
  for (const d of ['src', 'incoming', 'archive', 'restore']) mkdirSync(join(dir, d));
  const instruments = builtinInstruments();
  ingestor = createIngestor({
    instruments,
    catalog: createSqliteCatalog({ path: join(dir, 'archive', 'catalog.sqlite'), instruments: [...instruments] }),
    transports: [createFilesystemTransport({ root: join(dir, 'archive') })],
    staging: join(dir, 'staging'),
    stability: { quietMs: 20, pollMs: 10, settleMs: 100 },
    retry: { maxAttempts: 1 },
    tickMs: 10,
  });
  await ingestor.start();
});
afterAll(async () => {
  await ingestor.stop();
  await ingestor.catalog.close();
  rmSync(dir, { recursive: true, force: true });
});

async function ingest(paths: string[]) {
  const ids: string[] = [];
  for (const path of paths) ids.push((await ingestor.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true })).record.id);
  return ingestor.settled(ids);
}

describe('attachments in the pipeline', () => {
  it('archives wrapped files with checksums and catalogs them by night, program and columns', async () => {
    const weather = new TextEncoder().encode('UT,temp_C,wind_ms,humidity\n05:00,2.1,4.0,12\n06:00,1.8,5.2,14\n');
    const pdf = Uint8Array.from({ length: 70_001 }, (_, i) => (i * 7919) & 0xff);
    writeFileSync(join(dir, 'src', 'weather.csv'), weather);
    writeFileSync(join(dir, 'src', 'K123 plan.pdf'), pdf);
    const incoming = join(dir, 'incoming');
    const a = await wrapForeignFile(join(dir, 'src', 'weather.csv'), incoming, { kind: 'weather', dateObs: '2026-11-20T15:40:00' });
    const b = await wrapForeignFile(join(dir, 'src', 'K123 plan.pdf'), incoming, { kind: 'notes', night: '2026-11-20', program: 'K123' });
    const records = await ingest([a.path, b.path]);
    expect(records.map((r) => [r.state, r.error?.code])).toEqual([['ARCHIVED', undefined], ['ARCHIVED', undefined]]);

    const found = await ingestor.catalog.findArchived({ instrument: 'ATTACHMENT', nightFrom: '2026-11-20', nightTo: '2026-11-20' });
    expect(found).toHaveLength(2);
    const byKind = Object.fromEntries(found.map((f) => [f.columns['attkind'], f]));
    expect(byKind['weather']).toMatchObject({
      instrument: 'ATTACHMENT', night: '2026-11-20', level: 0, imageType: 'weather',
      columns: { attkind: 'weather', filename: 'weather.csv', filesize: weather.length, progid: null, date_obs: '2026-11-20' },
    });
    expect(byKind['weather']!.program).toBeUndefined();
    expect(byKind['weather']!.archiveId).toMatch(/^WX\.20261120\.56400\.[0-9a-f]{10}$/);
    expect(byKind['notes']).toMatchObject({ program: 'K123', columns: { attkind: 'notes', filename: 'K123 plan.pdf', filesize: pdf.length, progid: 'K123' } });
    expect(byKind['notes']!.releaseDate).toBe('2028-05-20');
    expect(byKind['weather']!.releaseDate).toBe('2026-11-20');
    // The contract the distribution packages use: a program's night attachments are its own and the night's.
    const forK123 = found.filter((f) => f.program === undefined || f.program === 'K123');
    expect(forK123).toHaveLength(2);

    for (const [file, original] of [[byKind['weather']!, weather], [byKind['notes']!, pdf]] as const) {
      expect(file.hdus).toHaveLength(2);
      const archived = file.locations[0]!.uri;
      expect((await verifyFile(archived)).ok).toBe(true);
      const verdict = fitsverify(archived);
      expect([verdict.errors, verdict.warnings], verdict.output).toEqual([0, 0]);
      expect(sha(readFileSync(archived))).toBe(file.sha256);
      const out = join(dir, 'restore', file.archiveId);
      mkdirSync(out);
      const back = await unwrapForeignFile(archived, out);
      expect(sha(readFileSync(back.path))).toBe(sha(original));
      expect(back.path).toBe(join(out, String(file.columns['filename'])));
    }
  });

  it('does not count attachments as a program\'s first frame of the night', async () => {
    const handle = attachNotifications(ingestor, {
      notifiers: [recorder],
      programs: { K555: { pi: 'Cleo PI', email: 'cleo@example.edu' } },
      clock: { now: () => Date.now(), sleep: async () => {} },
    });
    try {
      writeFileSync(join(dir, 'src', 'obslog.txt'), 'K555 night log: dome open 05:10 UT\n');
      const log = await wrapForeignFile(join(dir, 'src', 'obslog.txt'), join(dir, 'incoming'), { kind: 'log', dateObs: '2026-11-21T05:10:00', program: 'K555' });
      expect((await ingest([log.path]))[0]!.state).toBe('ARCHIVED');
      await handle.idle();
      expect(mail).toEqual([]);
      // The first real frame of K555 that night is still announced, although an attachment was archived first.
      const options = { time: new Date(Date.UTC(2026, 10, 21, 6, 0, 0)), frameNumber: 7, axes: [16, 16] as [number, number], program: 'K555' };
      const frame = join(dir, 'incoming', frameName(options));
      writeFileSync(frame, makeFrame(options));
      expect((await ingest([frame]))[0]!.state).toBe('ARCHIVED');
      await handle.idle();
      expect(mail.map((n) => [n.kind, n.to, n.data['program']])).toEqual([['first-frame', ['cleo@example.edu'], 'K555']]);
    } finally {
      handle.detach();
    }
  });

  it('ingests the simulator\'s night attachments: weather table and log for the night, notes for the program', async () => {
    const made = makeNightAttachments({ start: new Date(Date.UTC(2026, 10, 22, 5, 0, 0)), program: 'K777' });
    expect(made.map((a) => a.fileName)).toEqual(['weather_20261122.csv', 'obslog_20261122.txt', 'notes_K777_20261122.txt']);
    expect(new TextDecoder().decode(made[0]!.content).split('\n')).toHaveLength(1 + 61 + 1);
    const paths = await writeNightAttachments(join(dir, 'incoming', 'sim'), made);
    for (const path of paths) expect(fitsverify(path).errors).toBe(0);
    const records = await ingest(paths);
    expect(records.map((r) => r.state)).toEqual(['ARCHIVED', 'ARCHIVED', 'ARCHIVED']);
    const found = await ingestor.catalog.findArchived({ instrument: 'ATTACHMENT', nightFrom: '2026-11-22', nightTo: '2026-11-22' });
    expect(found.map((f) => [f.columns['attkind'], f.program ?? null]).sort()).toEqual([['log', null], ['notes', 'K777'], ['weather', null]]);
  });
});
