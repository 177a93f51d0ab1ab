/** `fits-ingest mail hash-password | sign | check`, in-process. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkMailPassword } from '../../src/adapters/triggers/mail-users.js';
import { verifyBody } from '../../src/adapters/_shared/signature.js';
import { cli } from '../helpers/cli.js';

const SECRET = 'a shared secret of the mountain and the archive';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fits-mail-cli-'));
  process.env['FI_TEST_SECRET'] = SECRET;
  process.env['FI_TEST_PASSWORD'] = 'pass phrase';
});
afterEach(() => {
  delete process.env['FI_TEST_SECRET'];
  delete process.env['FI_TEST_PASSWORD'];
  rmSync(dir, { recursive: true, force: true });
});

describe('fits-ingest mail', () => {
  it('hash-password prints an scrypt hash of the password in the environment', async () => {
    const run = await cli('mail', 'hash-password', '--password-env', 'FI_TEST_PASSWORD');
    expect(run.code).toBe(0);
    expect(await checkMailPassword(run.stdout.trim(), 'pass phrase')).toBe(true);
    const missing = await cli('mail', 'hash-password', '--password-env', 'FI_TEST_UNSET');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('FI_TEST_UNSET (the password) is not set');
  });

  it('sign prints a signature the receivers accept; check reads a message as they would', async () => {
    const body = 'file=/data/kb_1.fits volume=STB0042 member=1 hdu=0\n';
    writeFileSync(join(dir, 'body.txt'), body);
    const sign = await cli('mail', 'sign', join(dir, 'body.txt'), '--secret-env', 'FI_TEST_SECRET', '--time', '1795000000');
    expect(sign.code).toBe(0);
    expect(verifyBody(sign.stdout.trim(), body, [SECRET], 1_795_000_000_000, { maxAgeMs: 1000, maxFutureMs: 0 })).toEqual({ ok: true });

    const message = (signature: string) => `From: stb@mountain\nSubject: fits-ingest announce\nX-Fits-Ingest-Signature: ${signature}\n\n${body}`;
    const now = (await cli('mail', 'sign', join(dir, 'body.txt'), '--secret-env', 'FI_TEST_SECRET')).stdout.trim();
    writeFileSync(join(dir, 'good.eml'), message(now));
    const good = await cli('mail', 'check', join(dir, 'good.eml'), '--root', '/data', '--secret-env', 'FI_TEST_SECRET', '--json');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ accepted: true, files: [{ path: '/data/kb_1.fits', volume: 'STB0042', member: 1, hdu: 0 }] });
    const outside = await cli('mail', 'check', join(dir, 'good.eml'), '--root', '/elsewhere', '--secret-env', 'FI_TEST_SECRET');
    expect(outside.code).toBe(1);
    expect(outside.stdout).toContain('refused (MAIL_PATH_OUTSIDE_ROOTS)');
    writeFileSync(join(dir, 'stale.eml'), message(sign.stdout.trim()));
    const stale = await cli('mail', 'check', join(dir, 'stale.eml'), '--root', '/data', '--secret-env', 'FI_TEST_SECRET', '--json');
    expect(stale.code).toBe(1);
    expect(JSON.parse(stale.stdout)).toMatchObject({ accepted: false, code: 'MAIL_SIGNATURE' });
  });
});
