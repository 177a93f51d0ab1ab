/** The Maildir trigger on a real Maildir: conformance, acceptance into cur/, rejection into .Rejected/. */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vitest from 'vitest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatAnnouncement, signAnnouncement } from '../../../src/adapters/triggers/mail.js';
import { createMaildirTrigger, type MaildirTriggerOptions } from '../../../src/adapters/triggers/maildir.js';
import { ensureMaildir } from '../../../src/adapters/triggers/_mail-maildir.js';
import { isIngestError } from '../../../src/core/errors.js';
import type { Trigger, TriggerSink } from '../../../src/core/ports/trigger.js';
import { recordingSink, triggerConformance } from '../../../src/testing/trigger-conformance.js';
import { deliver, folder, rawMessage, refusingSink, until } from './_mail-helpers.js';

const SECRET = 'a shared secret of the mountain and the archive';

/** A signed announcement message of `paths`. */
function signed(paths: string[], extra: Record<string, string> = {}): string {
  const body = formatAnnouncement(paths.map((path) => ({ path, volume: 'STB0007', member: 3, hdu: 1 })));
  return rawMessage('fits-ingest announce', body, { 'X-Fits-Ingest-Signature': signAnnouncement(body, SECRET), ...extra });
}

describe('Maildir trigger: trigger conformance (signed messages delivered into new/; the Maildir unmounted and back)', () => {
  triggerConformance(
    vitest,
    async () => {
      const base = mkdtempSync(join(tmpdir(), 'fits-maildir-conf-'));
      const maildir = join(base, 'Maildir');
      const data = join(base, 'data');
      mkdirSync(data);
      await ensureMaildir(maildir);
      return {
        trigger: createMaildirTrigger({ dir: maildir, roots: [data], secret: SECRET, pollIntervalMs: 20, maxConcurrentSubmits: 4 }),
        maxConcurrentSubmits: 4,
        produce: async (name) => {
          const path = join(data, name);
          writeFileSync(path, 'SIMPLE  =                    T');
          await deliver(maildir, signed([path]));
          return path;
        },
        repeat: async (path) => void (await deliver(maildir, signed([path]))),
        disconnect: async () => {
          renameSync(maildir, `${maildir}.away`);
          await new Promise((r) => setTimeout(r, 100));
        },
        reconnect: async () => renameSync(`${maildir}.away`, maildir),
        teardown: async () => rmSync(base, { recursive: true, force: true }),
      };
    },
    { reconnect: true },
  );
});

describe('Maildir trigger', () => {
  let dir: string;
  let maildir: string;
  let root: string;
  let trigger: Trigger | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fits-maildir-'));
    maildir = join(dir, 'Maildir');
    root = join(dir, 'data');
    mkdirSync(root);
    await ensureMaildir(maildir);
  });
  afterEach(async () => {
    await trigger?.stop();
    trigger = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function started(options: Partial<MaildirTriggerOptions> = {}, sink: TriggerSink = recordingSink()): Promise<void> {
    trigger = createMaildirTrigger({ dir: maildir, roots: [root], secret: SECRET, pollIntervalMs: 20, ...options });
    await trigger.start(sink);
  }

  it('announces the files of messages already waiting, oldest delivery first, and files them in cur/ as Seen', async () => {
    const older = await deliver(maildir, signed([join(root, 'b.fits')]));
    const newer = await deliver(maildir, signed([join(root, 'a.fits'), join(root, 'c.fits')]));
    utimesSync(join(maildir, 'new', older), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const sink = recordingSink();
    await started({}, sink);
    await until(() => folder(maildir, 'cur').length === 2, 20_000, 'both messages in cur/');
    expect(sink.items.map((i) => i.path)).toEqual([join(root, 'b.fits'), join(root, 'a.fits'), join(root, 'c.fits')]);
    expect(sink.items[0]).toMatchObject({ trigger: 'maildir', complete: true, metadata: { volume: 'STB0007', member: 3, hdu: 1, senderAuth: 'signature', sender: 'stb@mountain.example.org' } });
    expect(folder(maildir, 'cur').map((m) => m.name).sort()).toEqual([`${older}:2,S`, `${newer}:2,S`].sort());
    expect(folder(maildir, 'new')).toEqual([]);
  });

  it('keeps a refused message in .Rejected/ with its reasons on top and the original bytes below, and alerts', async () => {
    const sink = recordingSink();
    await started({}, sink);
    const message = rawMessage('fits-ingest announce', `file=${join(root, 'x.fits')} hdu=-1\n`, { 'X-Fits-Ingest-Signature': signAnnouncement(`file=${join(root, 'x.fits')} hdu=-1`, SECRET) });
    const name = await deliver(maildir, message);
    const rejected = join(maildir, '.Rejected');
    // The copy is made first, then the original leaves new/.
    await until(() => folder(rejected, 'new').length === 1 && folder(maildir, 'new').length === 0, 20_000, 'the refused message moved to .Rejected/new');
    const kept = folder(rejected, 'new')[0]!;
    expect(kept.name).toBe(name);
    expect(kept.text.startsWith('X-Fits-Ingest-Rejected: MAIL_MALFORMED\nX-Fits-Ingest-Reason: line 1: hdu: expected a whole number (0 or more), got "-1"\n')).toBe(true);
    expect(kept.text.endsWith(message)).toBe(true);
    expect(folder(maildir, 'new')).toEqual([]);
    expect(folder(maildir, 'cur')).toEqual([]);
    expect(sink.items).toEqual([]);
    expect(sink.alerts).toEqual([expect.objectContaining({ code: 'MAIL_MALFORMED', path: join(rejected, 'new', name) })]);
  });

  it('refuses unsigned messages and wrong subjects; keeps an oversized message whole', async () => {
    const sink = recordingSink();
    await started({ maxMessageBytes: 2048 }, sink);
    await deliver(maildir, rawMessage('fits-ingest announce', `file=${join(root, 'x.fits')}\n`));
    await deliver(maildir, rawMessage('hello', 'how are you?'));
    const big = rawMessage('fits-ingest announce', `# ${'padding '.repeat(600)}\nfile=${join(root, 'y.fits')}\n`);
    await deliver(maildir, big);
    const rejected = join(maildir, '.Rejected');
    await until(() => folder(rejected, 'new').length === 3, 20_000, 'three refused messages');
    const codes = folder(rejected, 'new').map((m) => /^X-Fits-Ingest-Rejected: (\w+)/.exec(m.text)?.[1]).sort();
    expect(codes).toEqual(['MAIL_MALFORMED', 'MAIL_SIGNATURE', 'MAIL_TOO_LARGE']);
    expect(folder(rejected, 'new').find((m) => m.text.includes('MAIL_TOO_LARGE'))!.text.endsWith(big)).toBe(true);
    expect(folder(rejected, 'new').find((m) => m.text.includes('MAIL_MALFORMED'))!.text).toContain('the subject must start with "fits-ingest announce"');
    expect(sink.items).toEqual([]);
  });

  it('leaves a message in new/ while the runtime refuses it (one alert), and files it once accepted', async () => {
    const sink = refusingSink();
    await started({}, sink);
    await deliver(maildir, signed([join(root, 'later.fits')]));
    await until(() => sink.alerts.length > 0, 20_000, 'an alert');
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.alerts).toEqual(['SUBMIT_FAILED']);
    expect(folder(maildir, 'new')).toHaveLength(1);
    sink.refusing = false;
    await until(() => folder(maildir, 'cur').length === 1, 20_000, 'the message in cur/');
    expect(sink.items.map((i) => i.path)).toEqual([join(root, 'later.fits')]);
  });

  it('accepts unsigned messages only when told the mail server authenticates senders', async () => {
    const sink = recordingSink();
    await started({ secret: undefined, requireSignature: false }, sink);
    await deliver(maildir, rawMessage('fits-ingest announce', `file=${join(root, 'trusted.fits')}\n`));
    await until(() => sink.items.length === 1, 20_000, 'the announcement');
    expect(sink.items[0]!.metadata).toMatchObject({ senderAuth: 'none' });
    expect(readFileSync(join(maildir, 'cur', folder(maildir, 'cur')[0]!.name), 'utf8')).toContain('trusted.fits');
  });

  it('requires a secret unless requireSignature is false', () => {
    let error: unknown;
    try {
      createMaildirTrigger({ dir: maildir, roots: [root] });
    } catch (e) {
      error = e;
    }
    expect(isIngestError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as Error).message).toContain('only authenticated senders are accepted');
  });
});
