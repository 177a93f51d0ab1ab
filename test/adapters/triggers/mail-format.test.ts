/** The announcement format (text and JSON), its signature, and the users table. */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMailPassword } from '../../../src/adapters/triggers/mail-users.js';
import { verifyBody } from '../../../src/adapters/_shared/signature.js';
import { buildAnnouncement, formatAnnouncement, hashMailPassword, parseAnnouncement, signAnnouncement, type AnnouncedFile } from '../../../src/adapters/triggers/mail.js';

const problems = (body: string): string[] => {
  const parsed = parseAnnouncement(body);
  return parsed.ok ? [] : parsed.problems;
};

describe('text form', () => {
  it('reads one file per line, with quoted values, comments and blank lines', () => {
    const parsed = parseAnnouncement(
      [
        '# STB index update from kpno',
        '',
        'file=/data/kb_1.fits instrument=KCWI level=0 volume=STB0042 member=12 hdu=0 size=2880 sha256=' + 'AB'.repeat(32),
        '  file="/data/with space/kb \\"2\\".fits"   level=1 parents=KB.1,KB.2 complete=no  ',
      ].join('\r\n'),
    );
    expect(parsed).toEqual({
      ok: true,
      files: [
        { path: '/data/kb_1.fits', instrument: 'KCWI', level: 0, volume: 'STB0042', member: 12, hdu: 0, size: 2880, sha256: 'ab'.repeat(32) },
        { path: '/data/with space/kb "2".fits', level: 1, parents: ['KB.1', 'KB.2'], complete: false },
      ],
    });
  });

  it('reports every problem with its line', () => {
    expect(problems('file=/a.fits vol=1\nlevel=0\nfile=/b.fits level=3 member=-2\nfile=/c.fits file=/d.fits\nfile=/e.fits "oops"\nfile=/f.fits sha256=xyz complete=maybe')).toEqual([
      'line 1: unknown key "vol" (known: file, instrument, level, parents, volume, member, hdu, size, sha256, complete)',
      'line 2: no file=… on this line',
      'line 3: member: expected a whole number (0 or more), got "-2"',
      'line 4: key "file" given twice',
      'line 5: cannot read ""oops"": expected key=value or key="quoted value"',
      'line 6: complete: expected true or false, got "maybe"',
    ]);
    expect(problems('file=/a.fits level=3')).toEqual(['line 1: level: Invalid input']);
    expect(problems('# nothing\n\n')).toEqual(['the body announces no file (one line per file: file=/path/name.fits …)']);
  });
});

describe('JSON form', () => {
  it('reads { version: 1, files: [...] } and reports fields by path', () => {
    expect(parseAnnouncement('{ "files": [ { "path": "/data/a.fits", "volume": "V", "member": 3, "hdu": 1 } ] }')).toEqual({
      ok: true,
      files: [{ path: '/data/a.fits', volume: 'V', member: 3, hdu: 1 }],
    });
    expect(problems('{ "version": 2, "files": [ { "path": "/a", "hdu": "one", "extra": true } ] }')).toEqual([
      'version: Invalid input: expected 1',
      'files[0].hdu: Invalid input: expected number, received string',
      'files[0]: Unrecognized key: "extra"',
    ]);
    expect(problems('{ "files": [')[0]).toMatch(/^the body is not valid JSON: /);
    expect(problems('{ "files": [] }')).toEqual(['files: Too small: expected array to have >=1 items']);
  });
});

describe('format and parse', () => {
  const file = fc.record(
    {
      path: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\r\n]/.test(s) && s.trim() === s).map((s) => `/data/${s}`),
      instrument: fc.constantFrom('KCWI', 'HIRES', 'MOSFIRE'),
      level: fc.constantFrom(0 as const, 1 as const, 2 as const),
      parents: fc.array(fc.stringMatching(/^[A-Z]{2}\.\d{8}\.\d{5}\.\d{2}$/), { maxLength: 3 }),
      volume: fc.stringMatching(/^[A-Za-z0-9 _.-]{1,20}$/).filter((s) => s.trim() !== ''),
      member: fc.nat(100_000),
      hdu: fc.nat(100),
      size: fc.nat(),
      sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
      complete: fc.boolean(),
    },
    { requiredKeys: ['path'] },
  );

  it('round-trips any announcement through both forms', () => {
    fc.assert(
      fc.property(fc.array(file, { minLength: 1, maxLength: 5 }), (files: AnnouncedFile[]) => {
        for (const form of ['text', 'json'] as const) {
          const parsed = parseAnnouncement(formatAnnouncement(files, form));
          const expected = files.map((f) => (f.parents?.length === 0 && form === 'text' ? { ...f, parents: [] } : f));
          expect(parsed).toEqual({ ok: true, files: expected });
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('signature', () => {
  const secret = 'a shared secret of sixteen+';
  const window = { maxAgeMs: 60_000, maxFutureMs: 5_000 };
  const now = 1_795_000_000_000;

  it('survives CRLF line ends and trailing newlines added in transit, not a changed body', () => {
    const body = 'file=/data/a.fits\nfile=/data/b.fits\n';
    const header = signAnnouncement(body, secret, now);
    expect(header).toMatch(/^t=1795000000,sha256=[0-9a-f]{64}$/);
    expect(verifyBody(header, body.replace(/\n/g, '\r\n') + '\r\n\r\n', [secret], now, window)).toEqual({ ok: true });
    expect(verifyBody(header, body.replace('b.fits', 'c.fits'), [secret], now, window).ok).toBe(false);
  });

  it('accepts any of several secrets (rotation) and refuses stale, future and malformed signatures', () => {
    const header = signAnnouncement('x', secret, now);
    expect(verifyBody(header, 'x', ['old secret of sixteen chars', secret], now, window).ok).toBe(true);
    expect(verifyBody(header, 'x', [secret], now + 61_000, window)).toMatchObject({ ok: false, reason: expect.stringContaining('61 s old') });
    expect(verifyBody(header, 'x', [secret], now - 6_000, window)).toMatchObject({ ok: false, reason: expect.stringContaining('in the future') });
    expect(verifyBody('sha256=abc', 'x', [secret], now, window)).toMatchObject({ ok: false, reason: expect.stringContaining('must read t=') });
  });

  it('matches an independent implementation of the documented algorithm (Python hmac, as in docs/mail.md)', () => {
    const body = '\r\n file=/data/a.fits volume="STB 1"\r\nfile=/data/b.fits\r\n\r\n';
    const script = [
      'import hashlib, hmac, sys',
      'secret, t, body = sys.argv[1], sys.argv[2], sys.stdin.read()',
      'canonical = body.replace("\\r\\n", "\\n").replace("\\r", "\\n").strip()',
      'print(f"t={t},sha256=" + hmac.new(secret.encode(), f"{t}.{canonical}".encode(), hashlib.sha256).hexdigest())',
    ].join('\n');
    const header = execFileSync('python3', ['-c', script, secret, String(now / 1000)], { input: body, encoding: 'utf8' }).trim();
    expect(header).toBe(signAnnouncement(body, secret, now));
    expect(verifyBody(header, body, [secret], now, window)).toEqual({ ok: true });
  });

  it('buildAnnouncement signs what it formats', () => {
    const mail = buildAnnouncement([{ path: '/data/a.fits' }], { secret, now, format: 'json' });
    expect(mail.subject).toBe('fits-ingest announce: 1 file(s)');
    expect(verifyBody(mail.headers['X-Fits-Ingest-Signature'], mail.text, [secret], now, window).ok).toBe(true);
  });
});

describe('users table', () => {
  it('checks plain and scrypt-hashed passwords', async () => {
    const hash = await hashMailPassword('s3cret');
    expect(hash).toMatch(/^scrypt\$[0-9a-f]{32}\$[0-9a-f]{64}$/);
    expect(await checkMailPassword(hash, 's3cret')).toBe(true);
    expect(await checkMailPassword(hash, 's3cret ')).toBe(false);
    expect(await checkMailPassword('plain', 'plain')).toBe(true);
    expect(await checkMailPassword('plain', 'plainer')).toBe(false);
  });
});
