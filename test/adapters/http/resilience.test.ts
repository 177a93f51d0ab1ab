/**
 * The link when the network misbehaves, through a loopback proxy between the real client and the real server:
 * a connection cut mid-upload resumes from the server's offset; a byte flipped in transit is refused on
 * arrival and sent again; corruption on every attempt ends in a clear failure with nothing archived and
 * nothing left behind; declared HDU sums that do not match are refused without retries.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpTransport } from '../../../src/adapters/http/transport.js';
import { isIngestError } from '../../../src/core/errors.js';
import { listFiles, memoryLogger, preparedFrames, removeDir, startArchive, tempDir, TOKENS, waitFor, type Archive } from './_harness.js';
import { startProxy, type Proxy } from './_proxy.js';

const retry = { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 100 };

describe('HTTP link through a misbehaving network', () => {
  let archive: Archive;
  let proxy: Proxy | undefined;
  let dir: string;
  beforeEach(async () => {
    dir = tempDir('net');
    archive = await startArchive();
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await archive.stop();
    removeDir(archive.dir);
    removeDir(dir);
  });

  const archivedBytes = (archiveId: string) => readFileSync(join(archive.root, 'KCWI', '20261120', 'lev0', `${archiveId}.fits`));
  const uploadArea = () => listFiles(archive.uploads).filter((f) => !f.startsWith('callbacks'));

  it('a connection cut mid-upload is resumed from the offset the server holds, not from zero', async () => {
    const [request] = await preparedFrames(dir, 1, { axes: [1024, 1024] });
    proxy = await startProxy({ port: archive.listening.port, cutAfter: 1_000_000 });
    const logger = memoryLogger();
    const transport = createHttpTransport({ url: proxy.url, token: TOKENS.push, oneShotMaxBytes: 0, retry, logger });
    const receipt = await transport.transfer(request!);
    expect(proxy.cuts).toBe(1);
    expect(receipt).toMatchObject({ sha256: request!.sha256, alreadyPresent: false });
    const resumed = logger.lines.find((l) => l.message.endsWith('resuming'));
    expect(resumed?.fields?.['offset']).toBeGreaterThan(500_000);
    expect(resumed?.fields?.['offset']).toBeLessThan(1_000_000);
    expect(proxy.bytesUp).toBeLessThan(request!.size + 100_000); // the first megabyte was not sent twice
    expect(archivedBytes(request!.archiveId).equals(readFileSync(request!.path))).toBe(true);
    expect(await archive.catalog.counts()).toMatchObject({ ARCHIVED: 1, DUPLICATE: 0, FAILED: 0 });
    await waitFor(() => uploadArea().length === 0, 'the upload area to empty');
    await transport.close?.();
  });

  it('a sender that restarted resumes its idle partial upload instead of sending everything again', async () => {
    const [request] = await preparedFrames(dir, 1, { axes: [1024, 1024] });
    proxy = await startProxy({ port: archive.listening.port, cutAfter: 1_200_000 });
    const first = createHttpTransport({ url: proxy.url, token: TOKENS.push, oneShotMaxBytes: 0, retry: { ...retry, maxAttempts: 1 } });
    const failed = await first.transfer(request!).then(() => undefined, (e: unknown) => e);
    expect(isIngestError(failed, 'CONNECTION_FAILED')).toBe(true); // the sender gives up (or dies) here
    await first.close?.();
    const sentBefore = proxy.bytesUp;
    const second = createHttpTransport({ url: proxy.url, token: TOKENS.push, oneShotMaxBytes: 0, retry });
    await second.transfer(request!);
    expect(proxy.bytesUp - sentBefore).toBeLessThan(request!.size - 1_000_000); // only what was missing
    expect(archivedBytes(request!.archiveId).equals(readFileSync(request!.path))).toBe(true);
    await second.close?.();
  });

  for (const [label, oneShotMaxBytes] of [['one request', 1 << 30], ['resumable upload', 0]] as const) {
    it(`a byte flipped in transit (${label}) is refused on arrival, the partial discarded, and the file sent again`, async () => {
      const [request] = await preparedFrames(dir, 1, { axes: [512, 512] });
      proxy = await startProxy({ port: archive.listening.port, flip: 'once' });
      const logger = memoryLogger();
      const transport = createHttpTransport({ url: proxy.url, token: TOKENS.push, oneShotMaxBytes, retry, logger });
      const receipt = await transport.transfer(request!);
      expect(proxy.flips).toBe(1);
      expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.fields?.['code'])).toEqual(['DIGEST_MISMATCH']);
      expect(receipt.sha256).toBe(request!.sha256);
      expect(archivedBytes(request!.archiveId).equals(readFileSync(request!.path))).toBe(true);
      expect(await archive.catalog.counts()).toMatchObject({ ARCHIVED: 1 });
      await waitFor(() => uploadArea().length === 0, 'the upload area to empty');
      await transport.close?.();
    });
  }

  it('corruption on every attempt ends in a clear transient failure: nothing archived, nothing left behind', async () => {
    const [request] = await preparedFrames(dir, 1, { axes: [512, 512] });
    proxy = await startProxy({ port: archive.listening.port, flip: 'always' });
    const logger = memoryLogger();
    const transport = createHttpTransport({ url: proxy.url, token: TOKENS.push, retry, logger });
    const error = await transport.transfer(request!).then(() => undefined, (e: unknown) => e);
    expect(isIngestError(error, 'DIGEST_MISMATCH')).toBe(true);
    expect((error as { kind: string }).kind).toBe('transient');
    // Every attempt was refused on arrival; the last one is the error.
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.fields?.['code'])).toEqual(Array(retry.maxAttempts - 1).fill('DIGEST_MISMATCH'));
    expect(await archive.catalog.findRecords({})).toEqual([]);
    expect(uploadArea()).toEqual([]);
    await transport.close?.();
  });

  it('a received file that changes on the archive disk before its ingestion is not archived (CHECKSUM_MISMATCH)', async () => {
    const [request] = await preparedFrames(dir, 1);
    const bytes = readFileSync(request!.path);
    const query = `name=${request!.originalName}&sha256=${request!.sha256}&instrument=KCWI&prepared=true`;
    const headers = { authorization: `Bearer ${TOKENS.push}` };
    const sent = await fetch(`${archive.url}/v1/uploads?${query}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/fits' }, body: bytes });
    expect(sent.status).toBe(201);
    const received = join(archive.uploads, 'received', request!.sha256, request!.originalName);
    const damaged = Buffer.from(readFileSync(received));
    damaged[damaged.length - 10] = damaged[damaged.length - 10]! ^ 0xff;
    writeFileSync(received, damaged);
    const answer = await fetch(`${archive.url}/v1/ingest`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: request!.originalName, sha256: request!.sha256, instrument: 'KCWI', prepared: true, wait: 20 }),
    });
    expect(await answer.json()).toMatchObject({ state: 'INVALID', error: { code: 'CHECKSUM_MISMATCH' } });
    expect(await archive.catalog.getArchived(request!.archiveId)).toBeUndefined();
  });

  it('declared HDU sums that do not match the bytes are refused as invalid, without retries, and discarded', async () => {
    const [request] = await preparedFrames(dir, 1);
    const logger = memoryLogger();
    const transport = createHttpTransport({ url: archive.url, token: TOKENS.push, retry, logger, oneShotMaxBytes: 0 });
    const wrong = { ...request!, hdus: request!.hdus.map((h) => ({ ...h, datasum: (h.datasum + 1) >>> 0 })) };
    const error = await transport.transfer(wrong).then(() => undefined, (e: unknown) => e);
    expect(isIngestError(error, 'CHECKSUM_MISMATCH')).toBe(true);
    expect((error as Error).message).toMatch(/DATASUM of the arrived data is \d+, the sender declared \d+/);
    expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(uploadArea()).toEqual([]);
    expect(await archive.catalog.findRecords({})).toEqual([]);
    await transport.close?.();
  });
});
