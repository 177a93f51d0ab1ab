/**
 * The conformance suite of the Transport port: what every transport (shared filesystem, HTTP, removable media, a
 * third-party one) must do. It receives `it` and `expect` from the caller's test runner (the vitest module works
 * as is), so it imports no test framework.
 *
 * @example
 * ```ts
 * import * as vitest from 'vitest';
 * import { transportConformance } from 'fits-ingest/testing';
 *
 * transportConformance(vitest, async () => {
 *   const root = await mkdtemp(join(tmpdir(), 'archive-'));
 *   const transport = createFilesystemTransport({ root });
 *   return {
 *     transport,
 *     readArchived: async (request) => readFile(join(root, ...)).catch(() => undefined),
 *     teardown: () => rm(root, { recursive: true, force: true }),
 *   };
 * });
 * ```
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { checksummedFits, transferRequestFor } from './fits-fixtures.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIngestError } from '../core/errors.js';
import type { TransferReceipt, TransferRequest, Transport } from '../core/ports/transport.js';
import type { AdapterSuiteRunner } from './trigger-conformance.js';

/** One fresh transport with an empty destination; returned by the setup of each test. */
export interface TransportHarness {
  transport: Transport;
  /** The bytes the destination holds for the request's archive id, or undefined when it holds none. */
  readArchived(request: TransferRequest): Promise<Uint8Array | undefined>;
  /** Removes what the setup made. The suite calls `transport.close()` first when there is one. */
  teardown(): Promise<void>;
}

/** Options of {@link transportConformance}. */
export interface TransportConformanceOptions {
  /** Time limit of each test. @default 30000 */
  timeoutMs?: number;
}

interface SuiteContext {
  harness: TransportHarness;
  /** Writes `bytes` as a prepared file and returns a request for it (overrides applied last). */
  request(bytes: Uint8Array, overrides?: Partial<TransferRequest>): Promise<TransferRequest>;
}

/** `count` FITS blocks of random bytes. */
/** A valid, checksummed FITS file of about `blocks` × 2880 bytes (transports verify FITS sums at the destination). */
function randomFits(blocks: number): Uint8Array {
  return checksummedFits(2880 * blocks - 100);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

/**
 * Registers the Transport conformance tests with `runner.it`. `setup` is called once per test and must return a
 * transport writing to an empty destination. Tests: read back identical, idempotent retransfer, conflict,
 * replace, digest mismatch, concurrent transfers, cancellation.
 */
export function transportConformance(
  runner: AdapterSuiteRunner,
  setup: () => Promise<TransportHarness>,
  options: TransportConformanceOptions = {},
): void {
  const { it, expect } = runner;
  const timeout = options.timeoutMs ?? 30_000;

  const test = (name: string, body: (ctx: SuiteContext) => Promise<void>) =>
    it(
      `transport conformance: ${name}`,
      async () => {
        const harness = await setup();
        const sourceDir = await mkdtemp(join(tmpdir(), 'fits-ingest-transport-src-'));
        let n = 0;
        const request = async (bytes: Uint8Array, overrides: Partial<TransferRequest> = {}): Promise<TransferRequest> => {
          const id = ++n;
          const fields = { prefix: 'TC', instrument: 'TESTCAM', originalName: `frame${id}.fits`, sidecar: { conformance: true } };
          return transferRequestFor(join(sourceDir, `prepared-${id}.fits`), bytes, id, fields, overrides);
        };
        try {
          await body({ harness, request });
        } finally {
          await harness.transport.close?.();
          await harness.teardown();
          await rm(sourceDir, { recursive: true, force: true });
        }
      },
      timeout,
    );

  const expectArchived = async (ctx: SuiteContext, request: TransferRequest, bytes: Uint8Array) => {
    const archived = await ctx.harness.readArchived(request);
    expect(archived === undefined ? undefined : sha256(archived)).toBe(sha256(bytes));
  };

  test('a transferred file reads back identical, with a receipt computed at the destination', async (ctx) => {
    const bytes = randomFits(3);
    const request = await ctx.request(bytes);
    const receipt: TransferReceipt = await ctx.harness.transport.transfer(request);
    expect(receipt.sha256).toBe(request.sha256);
    expect(receipt.size).toBe(bytes.length);
    expect(receipt.alreadyPresent).toBe(false);
    expect(typeof receipt.location === 'string' && receipt.location.length > 0).toBe(true);
    expect(receipt.finishedAt >= receipt.startedAt).toBe(true);
    await expectArchived(ctx, request, bytes);
  });

  test('a second transfer of the same bytes reports alreadyPresent', async (ctx) => {
    const bytes = randomFits(2);
    const request = await ctx.request(bytes);
    await ctx.harness.transport.transfer(request);
    const again = await ctx.harness.transport.transfer(request);
    expect(again.alreadyPresent).toBe(true);
    expect(again.sha256).toBe(request.sha256);
    await expectArchived(ctx, request, bytes);
  });

  test('different bytes under an archived id throw ARCHIVE_ID_CONFLICT and keep the archived copy', async (ctx) => {
    const first = randomFits(2);
    const request = await ctx.request(first);
    await ctx.harness.transport.transfer(request);
    const other = await ctx.request(randomFits(2), { archiveId: request.archiveId });
    const error = await rejection(ctx.harness.transport.transfer(other));
    expect(isIngestError(error, 'ARCHIVE_ID_CONFLICT')).toBe(true);
    expect((error as { kind?: string }).kind).toBe('invalid');
    await expectArchived(ctx, request, first);
  });

  test('replace puts the new bytes in place of the archived ones', async (ctx) => {
    const request = await ctx.request(randomFits(2));
    await ctx.harness.transport.transfer(request);
    const newer = randomFits(4);
    const replacement = await ctx.request(newer, { archiveId: request.archiveId, replace: true });
    const receipt = await ctx.harness.transport.transfer(replacement);
    expect(receipt.alreadyPresent).toBe(false);
    expect(receipt.sha256).toBe(replacement.sha256);
    await expectArchived(ctx, replacement, newer);
  });

  test('a request whose SHA-256 does not match its bytes is rejected as transient and leaves nothing', async (ctx) => {
    const request = await ctx.request(randomFits(2));
    const wrong = { ...request, sha256: sha256(randomFits(1)) };
    const error = await rejection(ctx.harness.transport.transfer(wrong));
    expect(isIngestError(error)).toBe(true);
    expect((error as { kind?: string }).kind).toBe('transient');
    expect(await ctx.harness.readArchived(wrong)).toBeUndefined();
  });

  test('concurrent transfers of different ids all arrive intact', async (ctx) => {
    const files = Array.from({ length: 8 }, (_, i) => randomFits(1 + i));
    const requests = await Promise.all(files.map((bytes) => ctx.request(bytes)));
    const receipts = await Promise.all(requests.map((request) => ctx.harness.transport.transfer(request)));
    expect(receipts.map((r) => r.sha256)).toEqual(requests.map((r) => r.sha256));
    for (const [i, request] of requests.entries()) await expectArchived(ctx, request, files[i]!);
  });

  test('an aborted signal stops the transfer; an abort during it never leaves a partial copy', async (ctx) => {
    const request = await ctx.request(randomFits(2));
    const error = await rejection(ctx.harness.transport.transfer(request, AbortSignal.abort()));
    expect(isIngestError(error, 'ABORTED')).toBe(true);
    expect(await ctx.harness.readArchived(request)).toBeUndefined();

    const big = randomFits(3000); // ~8.6 MB
    const bigRequest = await ctx.request(big);
    const controller = new AbortController();
    const transfer = ctx.harness.transport.transfer(bigRequest, controller.signal);
    queueMicrotask(() => controller.abort());
    const outcome = await rejection(transfer);
    if (outcome === undefined) await expectArchived(ctx, bigRequest, big);
    else {
      expect(isIngestError(outcome, 'ABORTED')).toBe(true);
      expect(await ctx.harness.readArchived(bigRequest)).toBeUndefined();
    }
  });
}
