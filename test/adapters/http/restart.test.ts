/**
 * The archive's server process (`fits-ingest serve`, a child process) is killed with SIGKILL in the middle of
 * an upload and started again: the client resumes from the bytes that reached the disk, and the file is
 * archived exactly once in the SQLite catalog. A graceful SIGTERM finishes what is in progress.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSqliteCatalog } from '../../../src/adapters/catalogs/sqlite.js';
import { createHttpTransport } from '../../../src/adapters/http/transport.js';
import { builtinInstruments } from '../../../src/index.js';
import { listFiles, memoryLogger, preparedFrames, removeDir, tempDir, TOKENS, waitFor } from './_harness.js';
import { startProxy, type Proxy } from './_proxy.js';
import { freePort, startServe, type ServeChild } from './_serve-child.js';

let dir: string;
let proxy: Proxy | undefined;
let children: ServeChild[] = [];
beforeEach(() => {
  dir = tempDir('restart');
  writeFileSync(join(dir, 'tokens.yaml'), `tokens:\n  - site: keck\n    token: ${TOKENS.push}\n    scopes: [push, read]\n`);
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  for (const child of children) {
    if (child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill('SIGKILL');
      await child.exit;
    }
  }
  children = [];
  removeDir(dir);
});

const serve = async (port: number) => {
  const child = await startServe(['--archive', join(dir, 'archive'), '--port', String(port), '--tokens', join(dir, 'tokens.yaml')]);
  children.push(child);
  return child;
};

const partialBytes = () => {
  const partial = join(dir, 'archive', '.uploads', 'partial');
  return readdirSync(partial).filter((f) => f.endsWith('.part')).reduce((n, f) => n + statSync(join(partial, f)).size, 0);
};

it('SIGKILL mid-upload, restart: the upload resumes from the disk and the file is archived exactly once', async () => {
  const [request] = await preparedFrames(join(dir, 'site-a'), 1, { axes: [1024, 1024] });
  const port = await freePort();
  const first = await serve(port);
  proxy = await startProxy({ port, holdAfter: 1_600_000 });
  const logger = memoryLogger();
  const transport = createHttpTransport({ url: proxy.url, token: TOKENS.push, oneShotMaxBytes: 0, logger, retry: { maxAttempts: 30, baseDelayMs: 100, maxDelayMs: 400 } });
  const transfer = transport.transfer(request!);
  await waitFor(() => proxy!.holding && partialBytes() >= 1 << 20, 'a megabyte on the server disk', 15_000);
  first.process.kill('SIGKILL');
  expect(await first.exit).toBe('SIGKILL');
  proxy.release();
  await serve(port);
  const receipt = await transfer;
  expect(receipt.sha256).toBe(request!.sha256);
  const resumed = logger.lines.filter((l) => l.message.endsWith('resuming')).map((l) => l.fields!['offset'] as number);
  expect(Math.max(...resumed)).toBeGreaterThanOrEqual(1 << 20);
  const archived = join(dir, 'archive', 'KCWI', '20261120', 'lev0', `${request!.archiveId}.fits`);
  expect(readFileSync(archived).equals(readFileSync(request!.path))).toBe(true);
  await transport.close?.();

  // Stop gracefully, then look at the catalog as the archive left it.
  const second = children[1]!;
  second.process.kill('SIGTERM');
  expect(await second.exit).toBe(0);
  const catalog = createSqliteCatalog({ path: join(dir, 'archive', 'catalog.sqlite'), instruments: [...builtinInstruments()] });
  await catalog.init();
  expect(await catalog.counts()).toMatchObject({ ARCHIVED: 1, DUPLICATE: 0, FAILED: 0, INVALID: 0 });
  expect((await catalog.findArchived({})).map((f) => f.archiveId)).toEqual([request!.archiveId]);
  await catalog.close();
  // Besides pending callbacks, only the pages' session key (ui/) stays, on purpose.
  expect(listFiles(join(dir, 'archive', '.uploads')).filter((f) => !f.startsWith('callbacks') && !f.startsWith('ui/'))).toEqual([]);
  expect(second.lines.filter((l) => l['state'] === 'ARCHIVED').map((l) => l['archiveId'])).toEqual([request!.archiveId]);
}, 60_000);
