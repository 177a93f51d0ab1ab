/** The SMTP trigger over real SMTP on 127.0.0.1, driven by swaks (Debian's SMTP client) and by nodemailer. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vitest from 'vitest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildAnnouncement, formatAnnouncement, hashMailPassword, signAnnouncement } from '../../../src/adapters/triggers/mail.js';
import { createSmtpTrigger, type SmtpTrigger, type SmtpTriggerOptions } from '../../../src/adapters/triggers/smtp.js';
import { isIngestError } from '../../../src/core/errors.js';
import type { TriggerSink, WorkItem } from '../../../src/core/ports/trigger.js';
import { recordingSink, triggerConformance } from '../../../src/testing/trigger-conformance.js';
import { bodyFile, folder, mailer, refusingSink, swaks, swaksMessage } from './_mail-helpers.js';

const USER = { user: 'mountain', pass: 'correct horse battery staple' };
const SECRET = 'a shared secret of the mountain and the archive';

let dir: string;
let root: string;
let rejected: string;
let trigger: SmtpTrigger | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fits-smtp-'));
  root = join(dir, 'data');
  rejected = join(dir, 'rejected');
  mkdirSync(root);
});
afterEach(async () => {
  await trigger?.stop();
  trigger = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function started(options: Partial<SmtpTriggerOptions> = {}, sink: TriggerSink = recordingSink()): Promise<number> {
  trigger = createSmtpTrigger({ port: 0, roots: [root], rejectedDir: rejected, users: { [USER.user]: USER.pass }, ...options });
  await trigger.start(sink);
  return trigger.address()!.port;
}

const file = (name: string): string => join(root, name);

describe('SMTP trigger: trigger conformance (nodemailer sends each announcement, AUTH + signed body)', () => {
  triggerConformance(vitest, async () => {
    const base = mkdtempSync(join(tmpdir(), 'fits-smtp-conf-'));
    const data = join(base, 'data');
    mkdirSync(data);
    const conformance = createSmtpTrigger({
      port: 0,
      roots: [data],
      rejectedDir: join(base, 'rejected'),
      users: { [USER.user]: USER.pass },
      secret: SECRET,
      maxConcurrentSubmits: 4,
    });
    let stopped = false;
    const stop = conformance.stop.bind(conformance);
    conformance.stop = () => ((stopped = true), stop());
    let transport: ReturnType<typeof mailer> | undefined; // one pooled connection: SMTP greets each new one after 100 ms
    const send = async (path: string): Promise<void> => {
      const port = conformance.address()?.port;
      if (port === undefined) return; // stopped: nothing listens, as for a receiver that is down
      transport ??= mailer(port, USER, true);
      await transport
        .sendMail({ from: 'stb@mountain.example.org', to: 'ingest@archive.example.org', ...buildAnnouncement([{ path, instrument: 'KCWI' }], { secret: SECRET }) })
        .catch((error: unknown) => {
          if (!stopped) throw error; // after stop() the receiver refuses or is gone: the sender keeps the mail
        });
    };
    return {
      trigger: conformance,
      maxConcurrentSubmits: 4,
      produce: async (name) => {
        const path = join(data, name);
        writeFileSync(path, 'SIMPLE  =                    T');
        await send(path);
        return path;
      },
      repeat: send,
      teardown: async () => {
        transport?.close();
        rmSync(base, { recursive: true, force: true });
      },
    };
  });
});

describe('SMTP trigger with swaks', () => {
  it('turns a text announcement into work items carrying the STB volume, member and HDU and the sender', async () => {
    const sink = recordingSink();
    const port = await started({}, sink);
    const body = formatAnnouncement([
      { path: file('kb261120_00001.fits'), instrument: 'KCWI', level: 0, volume: 'STB0042', member: 12, hdu: 0, size: 2880, sha256: 'AB'.repeat(32) },
      { path: file('kb261120_00001_ql.fits'), level: 1, parents: ['KB.20261120.30675.05'], complete: false },
    ]);
    const run = await swaks(swaksMessage(port, { auth: USER, bodyFile: bodyFile(dir, 'body.txt', body) }));
    expect(run.exitCode, run.output).toBe(0);
    expect(run.replies.some((r) => /^250 accepted: 2 file\(s\) announced$/.test(r))).toBe(true);
    expect(sink.items.map((i) => i.path)).toEqual([file('kb261120_00001.fits'), file('kb261120_00001_ql.fits')]);
    const [raw, product] = sink.items as [WorkItem, WorkItem];
    expect(raw).toMatchObject({ trigger: 'smtp', instrument: 'KCWI', level: 0, complete: true });
    expect(raw.metadata).toMatchObject({ volume: 'STB0042', member: 12, hdu: 0, announcedSize: 2880, announcedSha256: 'ab'.repeat(32), sender: 'mountain', senderAuth: 'smtp-auth' });
    expect(product).toMatchObject({ level: 1, parents: ['KB.20261120.30675.05'], complete: false });
    expect(folder(rejected, 'new')).toEqual([]);
  });

  it('accepts the JSON form sent as application/json, and drops an identical repeat', async () => {
    const sink = recordingSink();
    const port = await started({}, sink);
    const json = bodyFile(dir, 'body.json', formatAnnouncement([{ path: file('a.fits'), volume: 'V1', member: 1, hdu: 2 }], 'json'));
    const args = swaksMessage(port, { auth: USER, bodyFile: json, headers: { 'Content-Type': 'application/json' } });
    expect((await swaks(args)).replies).toContain('250 accepted: 1 file(s) announced');
    expect((await swaks(args)).replies).toContain('250 accepted: 0 file(s) announced, 1 repeat(s) ignored');
    expect(sink.items).toHaveLength(1);
    expect(sink.items[0]!.metadata).toMatchObject({ volume: 'V1', member: 1, hdu: 2 });
  });

  it('answers 535 to wrong credentials, 530 to a sender without AUTH, and announces nothing', async () => {
    const sink = recordingSink();
    const port = await started({}, sink);
    const body = bodyFile(dir, 'body.txt', `file=${file('a.fits')}\n`);
    const wrong = await swaks(swaksMessage(port, { auth: { user: USER.user, pass: 'wrong' }, bodyFile: body }));
    expect(wrong.exitCode).toBe(28);
    expect(wrong.replies.some((r) => r.startsWith('535 '))).toBe(true);
    const anonymous = await swaks(swaksMessage(port, { bodyFile: body }));
    expect(anonymous.exitCode).toBe(23);
    expect(anonymous.replies.some((r) => r.startsWith('530 '))).toBe(true);
    expect(sink.items).toEqual([]);
    expect(sink.alerts.map((a) => a.code)).toEqual(['MAIL_AUTH_FAILED']);
  });

  it('refuses a malformed body with 550 and the reason, and keeps the message with its reasons for inspection', async () => {
    const sink = recordingSink();
    const port = await started({}, sink);
    const body = `file=${file('a.fits')} vol=STB1\nfile=${file('b.fits')} member=twelve\n`;
    const run = await swaks(swaksMessage(port, { auth: USER, bodyFile: bodyFile(dir, 'bad.txt', body) }));
    expect(run.exitCode).toBe(26);
    const refusal = run.replies.find((r) => r.startsWith('550 '))!;
    expect(refusal).toContain('MAIL_MALFORMED');
    expect(refusal).toContain('line 1: unknown key "vol"');
    expect(sink.items).toEqual([]);
    const kept = folder(rejected, 'new');
    expect(kept).toHaveLength(1);
    expect(kept[0]!.text).toMatch(/^X-Fits-Ingest-Rejected: MAIL_MALFORMED\r\n/);
    expect(kept[0]!.text).toContain('X-Fits-Ingest-Reason: line 1: unknown key "vol"');
    expect(kept[0]!.text).toContain('X-Fits-Ingest-Reason: line 2: member: expected a whole number (0 or more), got "twelve"');
    expect(kept[0]!.text).toMatch(/X-Fits-Ingest-Received: \S+ by smtp; from=<stb@mountain.example.org>; user=mountain; remote=127.0.0.1/);
    expect(kept[0]!.text).toContain('member=twelve');
    expect(sink.alerts).toEqual([expect.objectContaining({ trigger: 'smtp', code: 'MAIL_MALFORMED', path: join(rejected, 'new', kept[0]!.name) })]);
  });

  it('refuses a message over maxMessageBytes with 552 and keeps its head', async () => {
    const sink = recordingSink();
    const port = await started({ maxMessageBytes: 4096 }, sink);
    const lines = Array.from({ length: 200 }, (_, i) => `file=${file(`frame_${i}.fits`)}`).join('\n');
    const run = await swaks(swaksMessage(port, { auth: USER, bodyFile: bodyFile(dir, 'big.txt', lines) }));
    expect(run.exitCode).toBe(26);
    expect(run.replies.some((r) => r.startsWith('552 '))).toBe(true);
    expect(sink.items).toEqual([]);
    const kept = folder(rejected, 'new');
    expect(kept).toHaveLength(1);
    expect(kept[0]!.text).toMatch(/^X-Fits-Ingest-Rejected: MAIL_TOO_LARGE/);
    expect(sink.alerts.map((a) => a.code)).toEqual(['MAIL_TOO_LARGE']);
  });

  it('with a secret: refuses unsigned, wrongly signed and stale bodies; accepts a good signature without AUTH', async () => {
    const sink = recordingSink();
    const port = await started({ users: undefined, secret: SECRET }, sink);
    const body = formatAnnouncement([{ path: file('signed.fits') }]);
    const path = bodyFile(dir, 'body.txt', body);
    const send = (headers: Record<string, string>) => swaks(swaksMessage(port, { bodyFile: path, headers }));
    const refusals = [
      await send({}),
      await send({ 'X-Fits-Ingest-Signature': signAnnouncement(body, 'another secret of sixteen chars') }),
      await send({ 'X-Fits-Ingest-Signature': signAnnouncement(body, SECRET, Date.now() - 2 * 86_400_000) }),
      await send({ 'X-Fits-Ingest-Signature': signAnnouncement(`${body}file=${file('smuggled.fits')}\n`, SECRET) }),
    ];
    for (const run of refusals) expect(run.replies.find((r) => r.startsWith('550 '))).toContain('MAIL_SIGNATURE');
    expect(refusals[0]!.replies.join('\n')).toContain('no X-Fits-Ingest-Signature header');
    expect(refusals[2]!.replies.join('\n')).toContain('stale or replayed');
    expect(folder(rejected, 'new')).toHaveLength(4);
    expect(sink.items).toEqual([]);
    const good = await send({ 'X-Fits-Ingest-Signature': signAnnouncement(body, SECRET) });
    expect(good.exitCode, good.output).toBe(0);
    expect(sink.items.map((i) => [i.path, i.metadata?.['senderAuth'], i.metadata?.['sender']])).toEqual([[file('signed.fits'), 'signature', 'stb@mountain.example.org']]);
  });

  it('refuses paths outside the roots, relative paths, paths with .., and symlinks leading out', async () => {
    const sink = recordingSink();
    const port = await started({}, sink);
    symlinkSync('/etc/passwd', file('escape.fits'));
    const body = [`file=${file('ok.fits')}`, 'file=/etc/passwd', `file=${root}/../secret.fits`, 'file=relative/x.fits', `file=${root}-other/x.fits`, `file=${file('escape.fits')}`].join('\n');
    const run = await swaks(swaksMessage(port, { auth: USER, bodyFile: bodyFile(dir, 'paths.txt', body) }));
    const refusal = run.replies.find((r) => r.startsWith('550 '))!;
    expect(refusal).toContain('MAIL_PATH_OUTSIDE_ROOTS');
    const reasons = folder(rejected, 'new')[0]!.text.match(/^X-Fits-Ingest-Reason: .*$/gm)!;
    expect(reasons).toEqual([
      `X-Fits-Ingest-Reason: /etc/passwd: the path is outside the data roots (${root})`,
      `X-Fits-Ingest-Reason: ${root}/../secret.fits: the path contains ".."`,
      'X-Fits-Ingest-Reason: relative/x.fits: the path is not absolute',
      `X-Fits-Ingest-Reason: ${root}-other/x.fits: the path is outside the data roots (${root})`,
      `X-Fits-Ingest-Reason: ${file('escape.fits')}: the path resolves to /etc/passwd, outside the data roots`,
    ]);
    expect(sink.items).toEqual([]);
  });

  it('answers 451 when the runtime refuses a file, and a retry of the same mail announces it', async () => {
    const sink = refusingSink();
    const port = await started({}, sink);
    const args = swaksMessage(port, { auth: USER, bodyFile: bodyFile(dir, 'body.txt', `file=${file('retry.fits')}\n`) });
    const first = await swaks(args);
    expect(first.replies.some((r) => r.startsWith('451 ') && r.includes('catalog is busy'))).toBe(true);
    expect(sink.alerts).toEqual(['SUBMIT_FAILED']);
    sink.refusing = false;
    expect((await swaks(args)).replies).toContain('250 accepted: 1 file(s) announced');
    expect(sink.items.map((i) => i.path)).toEqual([file('retry.fits')]);
  });

  it('bounds concurrent submits across simultaneous SMTP sessions (nodemailer, 8 at once)', async () => {
    const sink = recordingSink(100);
    const port = await started({ maxConcurrentSubmits: 2 }, sink);
    const transport = mailer(port, USER, true);
    try {
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          transport.sendMail({ from: 'stb@mountain.example.org', to: 'ingest@archive.example.org', ...buildAnnouncement([{ path: file(`p${i}.fits`) }]) }),
        ),
      );
    } finally {
      transport.close();
    }
    expect(sink.items).toHaveLength(8);
    expect(sink.maxInFlight).toBe(2);
  });

  it('checks scrypt-hashed passwords from a users file (AUTH LOGIN)', async () => {
    const usersFile = join(dir, 'users');
    writeFileSync(usersFile, `# mail senders\nmountain:${await hashMailPassword(USER.pass)}\n`);
    const sink = recordingSink();
    const port = await started({ users: undefined, usersFile }, sink);
    const body = bodyFile(dir, 'body.txt', `file=${file('hashed.fits')}\n`);
    const args = (pass: string) => [...swaksMessage(port, { auth: { user: USER.user, pass }, bodyFile: body }).map((a) => (a === 'PLAIN' ? 'LOGIN' : a))];
    expect((await swaks(args('nope'))).exitCode).toBe(28);
    expect((await swaks(args(USER.pass))).exitCode).toBe(0);
    expect(sink.items.map((i) => i.path)).toEqual([file('hashed.fits')]);
  });

  it('offers STARTTLS with the configured certificate and then accepts AUTH', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const sink = recordingSink();
    const port = await started({ tls: { keyFile: key, certFile: cert } }, sink);
    const body = bodyFile(dir, 'body.txt', `file=${file('tls.fits')}\n`);
    const clear = await swaks(swaksMessage(port, { auth: USER, bodyFile: body }));
    expect(clear.exitCode).toBe(28);
    const secured = await swaks([...swaksMessage(port, { auth: USER, bodyFile: body }), '--tls']);
    expect(secured.exitCode, secured.output).toBe(0);
    expect(sink.items.map((i) => i.path)).toEqual([file('tls.fits')]);
  });
});

describe('SMTP trigger options', () => {
  const base = { roots: ['/data'], rejectedDir: '/tmp/rejected' };
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (error) {
      return isIngestError(error) ? `${error.code} ${String(error.context.field)}` : 'not an IngestError';
    }
    return undefined;
  };

  it('refuses a receiver that would accept unauthenticated senders', () => {
    expect(code(() => createSmtpTrigger(base))).toBe('INVALID_OPTIONS users');
    expect(code(() => createSmtpTrigger({ ...base, users: { a: 'b' }, requireAuth: false }))).toBe('INVALID_OPTIONS users');
    expect(code(() => createSmtpTrigger({ ...base, secret: 'short' }))).toBe('INVALID_OPTIONS secret');
  });

  it('refuses clear-text AUTH on a non-loopback address unless told', () => {
    expect(code(() => createSmtpTrigger({ ...base, host: '0.0.0.0', users: { a: 'b' } }))).toBe('INVALID_OPTIONS tls');
    expect(code(() => createSmtpTrigger({ ...base, host: '0.0.0.0', users: { a: 'b' }, allowInsecureAuth: true }))).toBeUndefined();
  });

  it('rejects start() with IO_ERROR when the port is taken', async () => {
    const port = await started();
    const second = createSmtpTrigger({ port, roots: [root], rejectedDir: rejected, users: { a: 'b' } });
    const error = await second.start(recordingSink()).catch((e: unknown) => e);
    await second.stop();
    expect(isIngestError(error, 'IO_ERROR')).toBe(true);
    expect((error as Error).message).toContain('EADDRINUSE');
  });

  it('starts once', async () => {
    await started();
    const again = await trigger!.start(recordingSink()).catch((e: unknown) => e);
    expect(isIngestError(again, 'ALREADY_STARTED')).toBe(true);
  });
});

