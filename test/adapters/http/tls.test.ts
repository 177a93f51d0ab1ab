/**
 * HTTPS with a self-signed certificate made here with openssl: the transport archives through it when given the
 * certificate as CA, and fails at once (TLS_UNTRUSTED, no retries) when not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHttpTransport } from '../../../src/adapters/http/transport.js';
import { isIngestError } from '../../../src/core/errors.js';
import { memoryLogger, preparedFrames, removeDir, selfSigned, startArchive, tempDir, TOKENS, type Archive } from './_harness.js';

let dir: string;
let archive: Archive;
let pem: { cert: string; key: string };
beforeAll(async () => {
  dir = tempDir('tls');
  pem = selfSigned(dir);
  archive = await startArchive({ listen: { tls: { cert: readFileSync(pem.cert), key: readFileSync(pem.key) } } });
});
afterAll(async () => {
  await archive.stop();
  removeDir(archive.dir);
  removeDir(dir);
});

it('archives over HTTPS when the self-signed certificate is trusted as CA', async () => {
  expect(archive.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const requests = await preparedFrames(dir, 2);
  const transport = createHttpTransport({ url: archive.url, token: TOKENS.push, ca: readFileSync(pem.cert, 'utf8'), oneShotMaxBytes: 4096 });
  for (const request of requests) expect((await transport.transfer(request)).sha256).toBe(request.sha256);
  expect(await archive.catalog.counts()).toMatchObject({ ARCHIVED: 2 });
  await transport.close?.();
});

it('an untrusted certificate is TLS_UNTRUSTED at once, not retried', async () => {
  const [request] = await preparedFrames(join(dir, 'again'), 1, {}, 10);
  const logger = memoryLogger();
  const transport = createHttpTransport({ url: archive.url, token: TOKENS.push, logger, retry: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 1000 } });
  const error = await transport.transfer(request!).then(() => undefined, (e: unknown) => e);
  expect(isIngestError(error, 'TLS_UNTRUSTED')).toBe(true);
  expect((error as Error).message).toMatch(/self[- ]signed/i);
  expect(logger.lines).toEqual([]);
  await transport.close?.();
});
