/**
 * The PI is told by mail when the program's files are released: a real ingest server (SQLite catalog, injected
 * clock) and the mail notifier (nodemailer) handing the notice to a recording SMTP server on loopback. One mail per
 * program, to the PI of the program directory and the `email` of the token that leads it, listing the released
 * files; nothing for files still proprietary; nothing again at the next check.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailNotifier } from '../../../src/adapters/notifiers/mail.js';
import type { TokenEntry } from '../../../src/adapters/http/server.js';
import type { Notifier } from '../../../src/core/ports/notifier.js';
import { startSmtpSink, type SmtpSink } from '../notifiers/_smtp-sink.js';
import { memoryLogger, removeDir, startArchive, tempDir, writeRawFrames, type Archive } from './_harness.js';

const tok = (name: string) => `${name}-token-0123456789abcdef-x`;
const TOKENS: TokenEntry[] = [
  { site: 'k123-pi', token: tok('k123pi'), scopes: ['read'], programs: ['K123'], pi: ['K123'], email: 'ana.token@k123.example.org' },
  { site: 'ops', token: tok('admin'), scopes: ['admin'] },
];
let now = Date.parse('2027-01-10T12:00:00Z');
const RELEASE = Date.parse('2028-05-20T00:05:00Z'); // KCWI science frames of 2026-11-20: 18 months
let archive: Archive;
let sink: SmtpSink;
let notifier: Notifier;
const logger = memoryLogger();
const ids: Record<string, string[]> = { K123: [], K999: [] };

beforeAll(async () => {
  sink = await startSmtpSink();
  notifier = createMailNotifier({ transport: { host: '127.0.0.1', port: sink.port, ignoreTLS: true, pool: false }, from: 'KOA <koa@archive.example.org>' });
  const dir = tempDir('release-mail');
  archive = await startArchive({
    dir,
    sqlite: true,
    server: {
      tokens: TOKENS,
      logger,
      now: () => now,
      releaseNotices: { notifiers: [notifier], programs: { K123: { pi: 'Ana Astronomer', email: 'ana@k123.example.org', title: 'Dwarf galaxies' } }, archive: 'KOA' },
    },
  });
  let n = 1;
  for (const program of ['K123', 'K123', 'K999'] as const) {
    const [path] = writeRawFrames(join(dir, 'in'), 1, { program }, n++);
    const { record } = await archive.ingestor.submit({ path: path!, trigger: 'test', detectedAt: Date.now(), complete: true });
    const [done] = await archive.ingestor.settled([record.id]);
    expect(done!.state).toBe('ARCHIVED');
    ids[program]!.push(done!.archiveId!);
  }
}, 60_000);

afterAll(async () => {
  await archive?.stop();
  await notifier?.close?.();
  await sink?.close();
  if (archive) removeDir(archive.dir);
});

describe('release notices', () => {
  it('nothing is sent while the files are proprietary', async () => {
    expect(await archive.server.checkReleases()).toEqual([]);
    expect(sink.mails).toEqual([]);
  });

  it('the PI of K123 gets one mail listing both released files; K999 has no PI known, so no mail; the next check sends nothing', async () => {
    now = RELEASE;
    const released = await archive.server.checkReleases();
    expect(released.map((r) => r.file.archiveId).sort()).toEqual([...ids['K123']!, ...ids['K999']!].sort());
    expect(sink.mails).toHaveLength(1);
    const [mail] = sink.mails;
    expect(mail!.rcpt.sort()).toEqual(['ana.token@k123.example.org', 'ana@k123.example.org']);
    expect(mail!.kind).toBe('release');
    expect(mail!.subject).toBe('[KOA] 2 file(s) of K123 released on 2028-05-20');
    expect(mail!.text).toContain('Dear Ana Astronomer,');
    expect(mail!.text).toContain('K123 (Dwarf galaxies) ended on 2028-05-20');
    for (const id of ids['K123']!) expect(mail!.text).toContain(id);
    expect(mail!.text).not.toContain(ids['K999']![0]!);
    expect(logger.lines.some((l) => l.message === 'release notice has no recipient' && l.fields?.['program'] === 'K999')).toBe(true);

    expect(await archive.server.checkReleases()).toEqual([]);
    expect(sink.mails).toHaveLength(1);
  });
});
