import { execFile } from 'node:child_process';
import { checksummedFits, transferRequestFor } from '../../../src/testing/fits-fixtures.js';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createFilesystemTransport,
  FILESYSTEM_TRANSPORT,
  type FilesystemTransportOptions,
} from '../../../src/adapters/transports/filesystem.js';
import { isIngestError } from '../../../src/core/errors.js';
import type { TransferRequest } from '../../../src/core/ports/transport.js';
import { transportConformance } from '../../../src/testing/index.js';

const run = promisify(execFile);
const defaultLocation = (root: string, r: TransferRequest) =>
  join(root, r.instrument, r.night.replaceAll('-', ''), `lev${r.level}`, `${r.archiveId}.fits`);

async function readOrUndefined(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

transportConformance({ it, expect }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'fits-ingest-archive-'));
  const inner = createFilesystemTransport({ root });
  // A reingest adds a version beside the archived one: the current bytes are at the latest receipt's location.
  const current = new Map<string, string>();
  return {
    transport: {
      ...inner,
      transfer: async (request, signal) => {
        const receipt = await inner.transfer(request, signal);
        current.set(request.archiveId, receipt.location);
        return receipt;
      },
    },
    readArchived: (request) => readOrUndefined(current.get(request.archiveId) ?? defaultLocation(root, request)),
    teardown: () => rm(root, { recursive: true, force: true }),
  };
});

describe('createFilesystemTransport', () => {
  let base: string;
  let root: string;
  let source: string;
  let n = 0;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'fits-ingest-fs-transport-'));
    root = join(base, 'archive');
    source = join(base, 'source');
    await mkdir(root);
    await mkdir(source);
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  const request = async (overrides: Partial<TransferRequest> = {}, bytes: Uint8Array = checksummedFits(5000)) => {
    const id = ++n;
    const fields = { prefix: 'HI', instrument: 'HIRES', originalName: `hires${id}.fits`, sidecar: { program: 'U123', exptime: 300 } };
    return transferRequestFor(join(source, `prep-${id}.fits`), bytes, id, fields, overrides);
  };
  const transport = (options: Partial<FilesystemTransportOptions> = {}) => createFilesystemTransport({ root, ...options });

  it('has the documented name', () => {
    const t = transport();
    expect(t.name).toBe(FILESYSTEM_TRANSPORT);
  });

  it('places files by the default layout and by a custom one', async () => {
    const r = await request();
    const receipt = await transport().transfer(r);
    expect(receipt.location).toBe(join(root, 'HIRES', '20240315', 'lev0', `${r.archiveId}.fits`));
    expect(await readFile(receipt.location)).toEqual(await readFile(r.path));

    const custom = transport({ layout: '{instrument:lower}/{night:YYYY}/{night:MM-DD}/L{level}_{archiveId}.fits' });
    const r2 = await request({ level: 2 });
    expect((await custom.transfer(r2)).location).toBe(join(root, 'hires', '2024', '03-15', `L2_${r2.archiveId}.fits`));
  });

  it('rejects bad layouts at creation with INVALID_OPTIONS', () => {
    for (const layout of [
      '{instrument}/{night}/x.fits',
      '../{archiveId}.fits',
      '/abs/{archiveId}.fits',
      '{instrument}//{archiveId}.fits',
      '{bogus}/{archiveId}.fits',
      '{night:QQ}/{archiveId}.fits',
      'a b/{archiveId}.fits',
    ]) {
      let error: unknown;
      try {
        transport({ layout });
      } catch (e) {
        error = e;
      }
      expect(isIngestError(error, 'INVALID_OPTIONS'), layout).toBe(true);
    }
  });

  it('refuses ids and fields that would leave the root, leaving nothing behind', async () => {
    const t = transport();
    for (const overrides of [
      { archiveId: '../../../escaped' },
      { archiveId: '..' },
      { archiveId: '.hidden' },
      { instrument: '..' },
      { instrument: 'a/b' },
      { instrument: '/etc' },
      { night: '../2024' },
    ] satisfies Partial<TransferRequest>[]) {
      const error = await rejection(t.transfer(await request(overrides)));
      expect(isIngestError(error, 'UNSAFE_DESTINATION'), JSON.stringify(overrides)).toBe(true);
      expect((error as { kind: string }).kind).toBe('invalid');
    }
    expect(await listFiles(root)).toEqual([]);
    expect((await readdir(base)).sort()).toEqual(['archive', 'source']);
  });

  it('refuses a symlinked directory pointing outside the root, follows one pointing inside', async () => {
    const outside = join(base, 'outside');
    await mkdir(outside);
    await symlink(outside, join(root, 'HIRES'));
    const error = await rejection(transport().transfer(await request()));
    expect(isIngestError(error, 'UNSAFE_DESTINATION')).toBe(true);
    expect(await listFiles(outside)).toEqual([]);

    await rm(join(root, 'HIRES'));
    await mkdir(join(root, 'store'));
    await symlink(join(root, 'store'), join(root, 'HIRES'));
    const r = await request();
    const receipt = await transport().transfer(r);
    expect(await readFile(join(root, 'store', '20240315', 'lev0', `${r.archiveId}.fits`))).toEqual(await readFile(r.path));
    expect(receipt.alreadyPresent).toBe(false);
  });

  it('writes a sidecar JSON with the ids, sums and the request sidecar as metadata', async () => {
    const r = await request();
    const receipt = await transport().transfer(r);
    const sidecar = JSON.parse(await readFile(`${receipt.location}.json`, 'utf8'));
    expect(sidecar).toEqual({
      archiveId: r.archiveId,
      recordId: r.recordId,
      instrument: 'HIRES',
      level: 0,
      night: '2024-03-15',
      originalName: r.originalName,
      size: r.size,
      sha256: r.sha256,
      hdus: r.hdus,
      metadata: { program: 'U123', exptime: 300 },
    });
    const plain = transport({ sidecar: false, layout: 'plain/{archiveId}.fits' });
    const r2 = await request();
    const receipt2 = await plain.transfer(r2);
    expect(await readOrUndefined(`${receipt2.location}.json`)).toBeUndefined();
  });

  it('keeps a per-night manifest that sha256sum -c accepts, idempotent and updated on replace', async () => {
    const t = transport();
    const requests = [await request(), await request({ level: 1 }), await request()];
    for (const r of requests) await t.committed!(r, await t.transfer(r));
    await t.committed!(requests[0]!, await t.transfer(requests[0]!)); // a retry commits again
    const night = join(root, 'HIRES', '20240315');
    const manifest = await readFile(join(night, 'MANIFEST.sha256'), 'utf8');
    expect(manifest.trim().split('\n')).toEqual(
      requests.map((r) => `${r.sha256}  lev${r.level}/${r.archiveId}.fits`),
    );
    const check = await run('sha256sum', ['-c', 'MANIFEST.sha256'], { cwd: night });
    expect(check.stdout.trim().split('\n')).toHaveLength(3);

    const replacement = await request({ archiveId: requests[1]!.archiveId, level: 1, replace: true });
    await t.committed!(replacement, await t.transfer(replacement));
    const lines = (await readFile(join(night, 'MANIFEST.sha256'), 'utf8')).trim().split('\n');
    // The superseded version keeps its line (its bytes are still there); the new version gets its own.
    expect(lines).toHaveLength(4);
    expect(lines).toContain(`${requests[1]!.sha256}  lev1/${replacement.archiveId}.fits`);
    expect(lines).toContain(`${replacement.sha256}  lev1/versions/${replacement.archiveId}.v2.fits`);
    await run('sha256sum', ['--strict', '-c', 'MANIFEST.sha256'], { cwd: night });
  });

  it('a reingest never overwrites: each version keeps its bytes at its own location, retries are idempotent', async () => {
    const t = transport();
    const first = await request({}, checksummedFits(5000));
    const r1 = await t.transfer(first);
    const second = await request({ archiveId: first.archiveId, replace: true }, checksummedFits(9000));
    const r2 = await t.transfer(second);
    const third = await request({ archiveId: first.archiveId, replace: true }, checksummedFits(12000));
    const r3 = await t.transfer(third);
    expect(r1.location).toBe(defaultLocation(root, first));
    expect(r2.location).toBe(join(root, 'HIRES', '20240315', 'lev0', 'versions', `${first.archiveId}.v2.fits`));
    expect(r3.location).toBe(join(root, 'HIRES', '20240315', 'lev0', 'versions', `${first.archiveId}.v3.fits`));
    const digest = async (path: string) => (await run('sha256sum', [path])).stdout.split(' ')[0];
    expect(await digest(r1.location)).toBe(first.sha256);
    expect(await digest(r2.location)).toBe(second.sha256);
    expect(await digest(r3.location)).toBe(third.sha256);
    // Sidecars describe their own version.
    expect(JSON.parse(await readFile(`${r2.location}.json`, 'utf8'))).toMatchObject({ sha256: second.sha256, recordId: second.recordId });
    expect(JSON.parse(await readFile(`${r1.location}.json`, 'utf8'))).toMatchObject({ sha256: first.sha256 });
    // A retry of the second version (after a crash) finds it where it put it.
    const again = await t.transfer(second);
    expect(again).toMatchObject({ alreadyPresent: true, location: r2.location });
  });

  it("never overwrites another record's copy of the same source; discard takes back only the record's own copy", async () => {
    const t = transport();
    const first = await request({ sidecar: { sourceSha256: 'same-source' } }, checksummedFits(5000));
    const r1 = await t.transfer(first);
    // A racing record of the same source, prepared at another time (other bytes), same archive id.
    const racing = await request({ archiveId: first.archiveId, sidecar: { sourceSha256: 'same-source' } }, checksummedFits(6000));
    const r2 = await t.transfer(racing);
    expect(r2.location).not.toBe(r1.location);
    expect((await run('sha256sum', [r1.location])).stdout.split(' ')[0]).toBe(first.sha256);
    // The racing record loses at the catalog and is given up: its copy goes, the archived one stays.
    await t.discard!({ ...racing, keep: [r1.location] });
    expect(await readOrUndefined(r2.location)).toBeUndefined();
    expect(await readOrUndefined(`${r2.location}.json`)).toBeUndefined();
    await t.discard!({ ...racing, recordId: 'someone-else', keep: [] });
    expect((await run('sha256sum', [r1.location])).stdout.split(' ')[0]).toBe(first.sha256);
    // Identical bytes transferred for another record keep the owner's sidecar, so a discard cannot take them.
    const twin = { ...first, recordId: 'twin-record' };
    expect((await t.transfer(twin)).alreadyPresent).toBe(true);
    await t.discard!({ ...twin, keep: [] });
    expect(await readOrUndefined(r1.location)).toBeDefined();
    // And what the catalog lists is never taken, even by the record whose sidecar names it.
    await t.discard!({ ...first, keep: [r1.location] });
    expect(await readOrUndefined(r1.location)).toBeDefined();
  });

  it('a disk that fills after the copy takes the copy back (no archived file the catalog will not list)', async () => {
    const t = transport();
    const r = await request();
    const where = defaultLocation(root, r);
    // The sidecar cannot be written: a directory squats its name.
    await mkdir(join(root, 'HIRES', '20240315', 'lev0'), { recursive: true });
    await mkdir(`${where}.json`);
    const error = await rejection(t.transfer(r));
    expect(isIngestError(error)).toBe(true);
    expect(await readOrUndefined(where)).toBeUndefined();
  });

  it('repairs a manifest whose last line was cut by a crash', async () => {
    const t = transport();
    const first = await request();
    await t.committed!(first, await t.transfer(first));
    const night = join(root, 'HIRES', '20240315');
    await appendFile(join(night, 'MANIFEST.sha256'), 'deadbeef  lev0/HI.2024');
    const second = await request();
    await t.committed!(second, await t.transfer(second));
    await run('sha256sum', ['--strict', '-c', 'MANIFEST.sha256'], { cwd: night });
    expect((await readFile(join(night, 'MANIFEST.sha256'), 'utf8')).trim().split('\n')).toHaveLength(2);
    expect((await listFiles(night)).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('manifest: false writes no manifest', async () => {
    const t = transport({ manifest: false });
    const r = await request();
    await t.committed!(r, await t.transfer(r));
    expect(await readOrUndefined(join(root, 'HIRES', '20240315', 'MANIFEST.sha256'))).toBeUndefined();
  });

  it('leaves no temp file after successes and failures', async () => {
    const t = transport();
    const ok = await request();
    await t.transfer(ok);
    await t.transfer(ok);
    await rejection(t.transfer(await request({ archiveId: ok.archiveId })));
    await rejection(t.transfer({ ...(await request()), sha256: 'f'.repeat(64) }));
    await rejection(t.transfer(await request(), AbortSignal.abort()));
    const files = await listFiles(root);
    expect(files.filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(files.sort()).toEqual([defaultLocation(root, ok), `${defaultLocation(root, ok)}.json`].sort());
  });

  it('cleans up the temp files a crash left for the same archive id', async () => {
    const r = await request();
    const dir = join(root, 'HIRES', '20240315', 'lev0');
    await mkdir(dir, { recursive: true });
    const stale = [`.${r.archiveId}.fits.tmp`, `.${r.archiveId}.fits.json.tmp`];
    for (const name of stale) await writeFile(join(dir, name), 'half a file');
    const unrelated = join(dir, '.OTHER.fits.tmp');
    await writeFile(unrelated, 'another transfer');
    await transport().transfer(r);
    const expected = ['.OTHER.fits.tmp', `${r.archiveId}.fits`, `${r.archiveId}.fits.json`];
    expect((await readdir(dir)).sort()).toEqual(expected.sort());
  });

  it('names both digests in ARCHIVE_ID_CONFLICT', async () => {
    const t = transport();
    const first = await request();
    await t.transfer(first);
    const second = await request({ archiveId: first.archiveId });
    const error = await rejection(t.transfer(second));
    expect(isIngestError(error, 'ARCHIVE_ID_CONFLICT')).toBe(true);
    expect((error as Error).message).toContain(first.sha256);
    expect((error as Error).message).toContain(second.sha256);
  });

  it('serializes concurrent transfers of the same archive id', async () => {
    const t = transport();
    const r = await request({}, checksummedFits(2880 * 200));
    const receipts = await Promise.all([t.transfer(r), t.transfer(r), t.transfer(r)]);
    expect(receipts.map((x) => x.alreadyPresent).sort()).toEqual([false, true, true]);
  });

  it('two transports (two processes, as after a lease takeover) racing on one file never leave the archive without it', async () => {
    // Separate instances do not share the per-process lock: their temp files collide, and one transfer may fail
    // (transiently); the copy the other placed must stay.
    for (let round = 0; round < 25; round++) {
      const r = await request();
      const results = await Promise.allSettled([transport().transfer(r), transport().transfer(r), transport().transfer(r)]);
      // Whatever a transfer reported placed is there once all are over (a failing racer took nothing back)…
      for (const x of results) if (x.status === 'fulfilled') expect(await readFile(x.value.location), `round ${round}`).toEqual(await readFile(r.path));
      // …and the retry the engine makes of a failed one succeeds.
      expect(await readFile((await transport().transfer(r)).location)).toEqual(await readFile(r.path));
    }
  });

  it('a missing root is a transient FILE_NOT_FOUND and is not created', async () => {
    const missing = join(base, 'not-mounted');
    const error = await rejection(createFilesystemTransport({ root: missing }).transfer(await request()));
    expect(isIngestError(error, 'FILE_NOT_FOUND')).toBe(true);
    expect((error as { kind: string }).kind).toBe('transient');
    expect(await readOrUndefined(missing)).toBeUndefined();
    expect((await readdir(base)).sort()).toEqual(['archive', 'source']);
  });
});
