/**
 * The engine's settings (everything but its ports), validated with zod at creation.
 */
import { z } from 'zod';
import { VERSION } from '../version.js';

export const settingsSchema = z.strictObject({
  /** Files processed at once. @default 4 */
  concurrency: z.int().min(1).max(256).default(4),
  /** Directory for prepared (normalized) copies waiting for transfer; one per ingestor (it is cleaned at start). */
  staging: z.string().min(1),
  stability: z
    .strictObject({
      /** Size and mtime must stay unchanged this long before a file counts as written. @default 1000 */
      quietMs: z.int().min(0).default(1000),
      /** How often a file being written is looked at again. @default 250 */
      pollMs: z.int().min(10).default(250),
      /** A file that stays structurally incomplete and unchanged this long is INVALID. @default 30000 */
      settleMs: z.int().min(0).default(30_000),
      /** How long an announced file may take to appear (slow NFS) before the attempt fails. @default 1250 */
      appearMs: z.int().min(0).default(1250),
    })
    .prefault({}),
  /** Retry policy for transient failures. */
  retry: z
    .strictObject({
      maxAttempts: z.int().min(1).optional(),
      baseDelayMs: z.int().min(0).optional(),
      maxDelayMs: z.int().min(0).optional(),
    })
    .prefault({}),
  /** Name of this worker in claims (stable across restarts of the same ingestor). @default 'ingestor' */
  owner: z.string().min(1).default('ingestor'),
  /** How long claimed work stays reserved for this worker. @default 300000 */
  leaseMs: z.int().min(1000).default(300_000),
  /** How often the catalog is asked for work (recovery, due retries, other processes' submissions). @default 2000 */
  claimIntervalMs: z.int().min(10).default(2000),
  /**
   * Longest time one step (stabilize, prepare, transfer, commit) of one file may take; a step still running then
   * fails with STEP_TIMEOUT (a hung mount, a stalled disk) and is retried like any transient failure, so a run
   * never hangs. Raise it for very large files over slow links. @default 1800000
   */
  stepTimeoutMs: z.int().min(1).default(1_800_000),
  /** Granularity of timers (waits for stability, retries). @default 50 */
  tickMs: z.int().min(1).default(50),
  /** Prefix of the comments of keywords fits-ingest adds. @default 'ARCHIVE:' */
  commentPrefix: z.string().default('ARCHIVE:'),
  /** Software name written into headers. @default 'fits-ingest <version>' */
  software: z.string().default(`fits-ingest ${VERSION}`),
});

/** The settings of {@link createEngine}, as given (defaults applied at creation). */
export type EngineSettings = z.input<typeof settingsSchema>;
