/**
 * End to end, all real: the instrument simulator writes a night of frames; after each frame a mail announces
 * it (STB style, with its volume, member and HDU) to the SMTP trigger of a running ingestor, which archives it;
 * the PI's first-frame mail and the operators' alerts leave through the mail notifier to an SMTP server.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createMemoryCatalog } from '../../../src/adapters/catalogs/memory.js';
import { createMailNotifier } from '../../../src/adapters/notifiers/mail.js';
import { createFilesystemTransport } from '../../../src/adapters/transports/filesystem.js';
import { buildAnnouncement } from '../../../src/adapters/triggers/mail.js';
import { createSmtpTrigger, type SmtpTrigger } from '../../../src/adapters/triggers/smtp.js';
import { attachNotifications } from '../../../src/core/notify/attach.js';
import { isFinal } from '../../../src/core/lifecycle/states.js';
import type { Notifier } from '../../../src/core/ports/notifier.js';
import { builtinInstruments, createIngestor, systemClock, type Ingestor } from '../../../src/index.js';
import { planNight, runNight } from '../../../src/simulator/night.js';
import { startSmtpSink, type SmtpSink } from '../notifiers/_smtp-sink.js';
import { bodyFile, mailer, swaks, swaksMessage } from './_mail-helpers.js';

const SENDER = { user: 'mountain', pass: 'pass phrase of the mountain' };
const SECRET = 'a shared secret of the mountain and the archive';

let dir: string;
let ingestor: Ingestor;
let trigger: SmtpTrigger;
let outbox: SmtpSink;
let notifier: Notifier;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fits-mail-e2e-'));
  for (const sub of ['incoming', 'archive']) mkdirSync(join(dir, sub));
  outbox = await startSmtpSink();
  notifier = createMailNotifier({ transport: { host: '127.0.0.1', port: outbox.port, ignoreTLS: true }, from: 'archive@example.org' });
  trigger = createSmtpTrigger({ port: 0, roots: [join(dir, 'incoming')], rejectedDir: join(dir, 'rejected'), users: { [SENDER.user]: SENDER.pass }, secret: SECRET });
  ingestor = createIngestor({
    instruments: builtinInstruments(),
    catalog: createMemoryCatalog(),
    transports: [createFilesystemTransport({ root: join(dir, 'archive') })],
    triggers: [trigger],
    staging: join(dir, 'staging'),
    stability: { quietMs: 100, pollMs: 20, settleMs: 500 },
    retry: { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 50 },
    tickMs: 10,
  });
});
afterEach(async () => {
  await ingestor.stop();
  await notifier.close?.();
  await outbox.close();
  rmSync(dir, { recursive: true, force: true });
});

it('a night announced by mail is archived with its STB index, and the PI and the operators are told', async () => {
  const handle = attachNotifications(ingestor, {
    notifiers: [notifier],
    rules: { operators: ['ops@example.org'], archiveName: 'KOA' },
    programs: { K123: { pi: 'Ana Astronomer', email: 'ana@example.edu' } },
    clock: systemClock,
  });
  await ingestor.start();
  const port = trigger.address()!.port;
  const plan = planNight({ files: 12 });
  const transport = mailer(port, SENDER, true);
  const announced: string[] = [];
  try {
    await runNight(plan, {
      dir: join(dir, 'incoming'),
      durationMs: 1200,
      axes: [64, 64],
      onWritten: async (file, path) => {
        const member = announced.length + 1;
        const mail = buildAnnouncement([{ path, instrument: 'KCWI', volume: 'STB0042', member, hdu: 0 }], { secret: SECRET, format: member % 2 ? 'text' : 'json' });
        await transport.sendMail({ from: 'stb@mountain.example.org', to: 'ingest@archive.example.org', ...mail });
        announced.push(path);
      },
    });
  } finally {
    transport.close();
  }
  // One announcement by swaks too: a file of the night announced again (a repeat) and nothing else.
  const repeat = buildAnnouncement([{ path: announced[0]!, instrument: 'KCWI', volume: 'STB0042', member: 1, hdu: 0 }], { secret: SECRET });
  const again = await swaks(swaksMessage(port, { auth: SENDER, bodyFile: bodyFile(dir, 'repeat.txt', repeat.text), headers: repeat.headers }));
  expect(again.replies).toContain('250 accepted: 0 file(s) announced, 1 repeat(s) ignored');

  const records = async () => Promise.all(announced.map(async (path) => (await ingestor.catalog.findRecords({ source: path }))[0]));
  const deadline = Date.now() + 30_000;
  let final = await records();
  while (!final.every((r) => r && isFinal(r.state))) {
    if (Date.now() > deadline) throw new Error(`not all final: ${JSON.stringify(final.map((r) => [r?.originalName, r?.state, r?.error?.code]))}`);
    await new Promise((r) => setTimeout(r, 50));
    final = await records();
  }
  await handle.idle();

  expect(final.map((r) => r!.state)).toEqual(plan.map((p) => p.expect));
  const archived = final.filter((r) => r!.state === 'ARCHIVED');
  expect(archived.length).toBeGreaterThanOrEqual(8);
  for (const r of archived) {
    expect(r!.trigger).toBe('smtp');
    expect(r!.metadata).toMatchObject({ volume: 'STB0042', hdu: 0, sender: 'mountain', senderAuth: 'smtp-auth+signature' });
    expect(await ingestor.catalog.getArchived(r!.archiveId!)).toMatchObject({ program: 'K123', night: '2026-11-20' });
  }

  const pi = outbox.mails.filter((m) => m.kind === 'first-frame');
  expect(pi).toHaveLength(1);
  expect(pi[0]).toMatchObject({ from: 'archive@example.org', to: ['ana@example.edu'] });
  const firstArchived = (await ingestor.catalog.findArchived({ program: 'K123' })).reduce((a, b) => (b.archivedAt < a.archivedAt ? b : a));
  expect(pi[0]!.subject).toBe(`[KOA] first K123 frame of 2026-11-20 archived: ${firstArchived.archiveId}`);
  const alerts = outbox.mails.filter((m) => m.kind === 'file-invalid');
  const invalidCodes = final.filter((r) => r!.state === 'INVALID').map((r) => r!.error!.code);
  expect(alerts.map((m) => m.to)).toEqual(invalidCodes.map(() => ['ops@example.org']));
  expect(alerts.map((m) => /INVALID (\w+):/.exec(m.subject)?.[1]).sort()).toEqual([...new Set(invalidCodes)].sort());
}, 60_000);
