/**
 * The HTTP transport against a real ingest server on 127.0.0.1: the Transport conformance suite (bytes only),
 * and the whole link with the archive's verdict (prepared frames archived with their ids and bytes, idempotent
 * re-sends, the same file sent twice at once, large files as resumable uploads).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpTransport } from '../../../src/adapters/http/transport.js';
import { isIngestError } from '../../../src/core/errors.js';
import { sumFile } from '../../../src/io/checksum-file.js';
import { transportConformance } from '../../../src/testing/index.js';
import { listFiles, memoryLogger, preparedFrames, removeDir, startArchive, tempDir, TOKENS, waitFor, type Archive } from './_harness.js';

const fast = { retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 } };

transportConformance({ it, expect }, async () => {
  const archive = await startArchive();
  const transport = createHttpTransport({ url: archive.url, token: TOKENS.push, ingest: 'none', ...fast });
  return {
    transport,
    readArchived: async (request) => {
      const response = await fetch(`${archive.url}/v1/files/${request.archiveId}/content`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
      return response.status === 200 ? new Uint8Array(await response.arrayBuffer()) : undefined;
    },
    teardown: async () => {
      await archive.stop();
      removeDir(archive.dir);
    },
  };
});

describe('HTTP transport → ingest server', () => {
  let archive: Archive;
  let dir: string;
  beforeEach(async () => {
    dir = tempDir('client');
    archive = await startArchive();
  });
  afterEach(async () => {
    await archive.stop();
    removeDir(archive.dir);
    removeDir(dir);
  });

  const archivedPath = (archiveId: string) => join(archive.root, 'KCWI', '20261120', 'lev0', `${archiveId}.fits`);

  it('archives prepared frames with their archive ids and exact bytes, and reports timing metrics', async () => {
    const requests = await preparedFrames(dir, 3);
    const transport = createHttpTransport({ url: archive.url, token: TOKENS.push, ...fast });
    const receipts = await Promise.all(requests.map((r) => transport.transfer(r)));
    for (const [i, request] of requests.entries()) {
      expect(receipts[i]).toMatchObject({ sha256: request.sha256, size: request.size, alreadyPresent: false, location: `${archive.url}/v1/files/${request.archiveId}` });
      expect(readFileSync(archivedPath(request.archiveId)).equals(readFileSync(request.path))).toBe(true);
      const file = await archive.catalog.getArchived(request.archiveId);
      expect(file).toMatchObject({ sha256: request.sha256, sourceSha256: request.sha256, originalName: request.originalName });
    }
    const view = (await (await fetch(`${archive.url}/v1/files/${requests[0]!.archiveId}`, { headers: { authorization: `Bearer ${TOKENS.read}` } })).json()) as {
      ingest: { state: string; site: string; metrics: Record<string, string | number | null> };
      history: { to: string }[];
    };
    expect(view.ingest).toMatchObject({ state: 'ARCHIVED', site: 'keck' });
    const m = view.ingest.metrics;
    for (const key of ['receivedAt', 'queuedAt', 'preparedAt', 'verifiedAt', 'archivedAt']) expect(typeof m[key]).toBe('string');
    expect(Date.parse(m['receivedAt'] as string)).toBeLessThanOrEqual(Date.parse(m['verifiedAt'] as string));
    expect(Date.parse(m['verifiedAt'] as string)).toBeLessThanOrEqual(Date.parse(m['archivedAt'] as string));
    expect(m['receiveToArchiveMs']).toBeGreaterThanOrEqual(0);
    expect(view.history.map((h) => h.to)).toEqual(['DETECTED', 'STABLE', 'PREPARED', 'TRANSFERRING', 'TRANSFERRED', 'ARCHIVED']);
    // The archive keeps only the archived copy: the upload area empties once the files are archived.
    await waitFor(() => listFiles(archive.uploads).filter((f) => !f.startsWith('callbacks')).length === 0, 'the upload area to empty');
    await transport.close?.();
  });

  it('sending a file again is idempotent: alreadyPresent, one archived record', async () => {
    const [request] = await preparedFrames(dir, 1);
    const transport = createHttpTransport({ url: archive.url, token: TOKENS.push, ...fast });
    await transport.transfer(request!);
    const again = await transport.transfer(request!);
    expect(again.alreadyPresent).toBe(true);
    const counts = await archive.catalog.counts();
    expect(counts.ARCHIVED).toBe(1);
    expect(counts.DUPLICATE).toBe(0);
    await transport.close?.();
  });

  for (const [label, oneShotMaxBytes] of [['in one request', 1 << 30], ['as resumable uploads', 0]] as const) {
    it(`the same file pushed twice at once (${label}) is archived exactly once`, async () => {
      const [request] = await preparedFrames(dir, 1, { axes: [256, 256] });
      const a = createHttpTransport({ url: archive.url, token: TOKENS.push, oneShotMaxBytes, ...fast });
      const b = createHttpTransport({ url: archive.url, token: TOKENS.push, oneShotMaxBytes, ...fast });
      const receipts = await Promise.all([a.transfer(request!), b.transfer(request!), a.transfer(request!)]);
      for (const r of receipts) expect(r.sha256).toBe(request!.sha256);
      const records = await archive.catalog.findRecords({});
      expect(records.map((r) => r.state)).toEqual(['ARCHIVED']);
      expect(listFiles(join(archive.root, 'KCWI')).filter((f) => f.endsWith('.fits'))).toEqual([`20261120/lev0/${request!.archiveId}.fits`]);
      expect(readFileSync(archivedPath(request!.archiveId)).equals(readFileSync(request!.path))).toBe(true);
      await a.close?.();
      await b.close?.();
    });
  }

  it('a file the archive refuses is a clear invalid failure, not retried', async () => {
    const [request] = await preparedFrames(dir, 1);
    const logger = memoryLogger();
    const transport = createHttpTransport({ url: archive.url, token: TOKENS.push, logger, ...fast });
    // Declared as an instrument the archive does not describe, with its archive id removed from the header:
    // the archive cannot take it as prepared.
    const bytes = readFileSync(request!.path);
    const text = bytes.toString('latin1');
    const at = text.indexOf('KOAID   =');
    bytes.write('COMMENT  removed'.padEnd(80), at, 'latin1');
    const broken = join(dir, 'broken.fits');
    writeFileSync(broken, bytes);
    const sums = await sumFile(broken, { sha256: true });
    const error = await transport
      .transfer({ ...request!, path: broken, sha256: sums.sha256!, hdus: [] })
      .then(() => undefined, (e: unknown) => e);
    expect(isIngestError(error, 'REMOTE_REJECTED')).toBe(true);
    expect((error as { kind: string }).kind).toBe('invalid');
    expect((error as Error).message).toContain('ARCHIVE_ID_FAILED');
    expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(await archive.catalog.getArchived(request!.archiveId)).toBeUndefined();
    await transport.close?.();
  });
});
