/**
 * The untended media transport: as live ingestion archives files, each one is appended to the current tar volume
 * in N copies (the volumes of `media write`: same format, labels and one unbroken serial sequence); a volume is
 * closed when the next file would not fit, at the end of the night (`closeAt`), or on demand; its members'
 * locations are then recorded in the catalog, and a Save-the-Bits index message (each file's volume, copy,
 * member, offset and serial, with its catalog entry) goes to a remote fits-ingest that applies it to its catalog.
 *
 * It follows the ingestor (its `archived` events) instead of being one of the engine's `transports`: a member of
 * a volume that is not closed yet is no durable copy (a crash discards the partial volume), so the file must not
 * count as transferred, nor its location be recorded, before the volume is complete. What a crash interrupts is
 * picked up at the next {@link MediaTransport.start}: the last complete volume's index is reconciled with the
 * catalog (the crash window between its rename and its locations), the partial volume is removed and its label
 * and serials re-used, every archived file without a media copy is written again, and index messages not yet
 * delivered are sent again (applying one twice changes nothing). So every archived file ends on media exactly
 * once per copy.
 *
 * @module
 */
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { IngestError, toIngestError } from '../../../core/errors.js';
import type { ArchivedFile, Catalog } from '../../../core/ports/catalog.js';
import type { Clock } from '../../../core/ports/clock.js';
import { silentLogger, type Logger } from '../../../core/ports/logger.js';
import type { IngestorEvents } from '../../../core/runtime/events.js';
import { systemClock } from '../../../io/system-clock.js';
import { archivedItem, isOnMedia } from './archived-items.js';
import type { IndexMessageSender } from './index-delivery.js';
import { buildIndexMessage } from './index-messages.js';
import { readVolume } from './read-volume.js';
import { recordLastVolume } from './record-last-volume.js';
import { volumeFileName } from './_volume-set.js';
import { closeVolume, openVolumes, writeMediaItem, type VolumeRun, type WrittenVolume } from './write-volumes.js';

/** Options of {@link createMediaTransport}. */
export interface MediaTransportOptions {
  /** The catalog the ingestor archives into: files are read from it, media locations recorded in it. */
  catalog: Catalog;
  /** Output directory (all copies there), or one per copy (e.g. two mounted disks). Must exist. */
  out: string | readonly string[];
  /** Maximum size of a volume file (bytes, or `700M`, `4G`). */
  volumeSize: number | string;
  /** Identical copies of each volume. @default 2 */
  copies?: number;
  /** Labels are the prefix and six digits. @default 'FI' */
  labelPrefix?: string;
  /** End of the night, `HH:MM` UTC: the open volume is closed then, every day. @default no daily close */
  closeAt?: string;
  /** Delivers each closed volume's index message (e.g. {@link httpIndexSender}). @default none */
  send?: IndexMessageSender;
  /** Directory of the delivery state (`.media-<prefix>-sent.json`). @default the first output directory */
  stateDir?: string;
  /** Undelivered messages are sent again after this long. @default 60000 */
  retryMs?: number;
  /** At start, write only archived files of this night or later that are not on media yet. @default every night */
  catchUpFrom?: string;
  clock?: Clock;
  logger?: Logger;
  /** Called after each volume is closed and recorded. */
  onVolume?: (volume: WrittenVolume) => void;
}

/** What the transport is doing. */
export interface MediaTransportStatus {
  /** The volume being written, if any, with its members and size so far. */
  current?: { label: string; members: number; size: number; firstSerial: number };
  nextSerial: number;
  /** Archived files waiting to be written. */
  queued: number;
  /** Closed volumes whose index message is not delivered yet. */
  undelivered: number;
  /** Files that could not be written (no local copy, changed bytes…), since start. */
  failed: number;
  /** The error that stopped writing (a full or unmounted disk), if any: restart after fixing it. */
  error?: IngestError;
}

/** The untended media transport. */
export interface MediaTransport {
  readonly name: 'media';
  /** Reconciles the last volume, continues the sequence, sends undelivered messages, queues archived files not on media. */
  start(): Promise<{ recorded: number; discarded: string[]; queued: number }>;
  /** Writes every file `ingestor` archives from now on. Returns the function that stops following. */
  follow(ingestor: { on(event: 'archived', fn: IngestorEvents['archived']): unknown; off(event: 'archived', fn: IngestorEvents['archived']): unknown }): () => void;
  /** Queues one archived file (what `follow` does on each `archived` event). */
  add(archiveId: string): void;
  /** Resolves once every queued file is written (or failed). */
  idle(): Promise<void>;
  /** Closes the current volume now (after the queued files); undefined when none is open. */
  closeVolume(): Promise<WrittenVolume | undefined>;
  status(): MediaTransportStatus;
  /** Stops after the file being written; the open volume stays partial and the next start re-writes it. */
  stop(): Promise<void>;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Milliseconds from `now` to the next `HH:MM` UTC. */
function untilNext(closeAt: string, now: number): number {
  const [, h, m] = HHMM.exec(closeAt)!;
  const day = new Date(now);
  let at = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), Number(h), Number(m));
  if (at <= now) at += 86_400_000;
  return at - now;
}

/**
 * Creates the untended media transport. Call {@link MediaTransport.start}, then `follow(ingestor)`.
 *
 * @example
 * ```ts
 * const media = createMediaTransport({ catalog, out: ['/media/disk1', '/media/disk2'], copies: 2, volumeSize: '4G',
 *   closeAt: '17:00', send: httpIndexSender({ url: 'https://datacenter.example.org/media/index', secret }) });
 * await media.start();
 * media.follow(ingestor);
 * ```
 */
export function createMediaTransport(options: MediaTransportOptions): MediaTransport {
  const { catalog, clock = systemClock, logger = silentLogger } = options;
  const prefix = options.labelPrefix ?? 'FI';
  const copies = options.copies ?? 2;
  const outs = typeof options.out === 'string' ? [options.out] : [...options.out];
  if (outs.length !== 1 && outs.length !== copies) {
    throw new IngestError('INVALID_OPTIONS', `out lists ${outs.length} directories for ${copies} copies`, { context: { field: 'out' }, hint: 'give one directory (all copies there) or one per copy' });
  }
  const dirs = Array.from({ length: copies }, (_, i) => resolve(outs[outs.length === 1 ? 0 : i]!));
  const sentFile = join(options.stateDir ?? dirs[0]!, `.media-${prefix}-sent.json`);
  if (options.closeAt !== undefined && !HHMM.test(options.closeAt)) {
    throw new IngestError('INVALID_OPTIONS', `closeAt ${JSON.stringify(options.closeAt)}: expected HH:MM (UTC)`, { context: { field: 'closeAt' } });
  }
  let run: VolumeRun | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  const queued = new Set<string>();
  let failed = 0;
  let broken: IngestError | undefined;
  let stopped = false;
  const stopping = new AbortController();
  let retry: ReturnType<typeof setTimeout> | undefined;
  let undelivered = 0;
  let delivering: Promise<void> | undefined;
  let deliverAgain = false;

  const enqueue = <T>(job: () => Promise<T>): Promise<T> => {
    const next = chain.then(job);
    chain = next.catch(() => undefined);
    return next;
  };

  /** After a write or close: report closed volumes, failures and catalog errors; deliver messages. */
  function settle(r: VolumeRun): void {
    for (const f of r.report.failed) logger.warn('media: a file was not written', { archiveId: f.archiveId, error: f.error.toJSON() });
    for (const c of r.report.catalogErrors) logger.error('media: a location was not recorded', { archiveId: c.archiveId, error: c.error.toJSON() });
    failed += r.report.failed.length;
    const closed = r.report.volumes.splice(0);
    r.report.failed.length = 0;
    r.report.catalogErrors.length = 0;
    r.report.items.length = 0;
    for (const v of closed) {
      logger.info('media: volume closed', { volume: v.label, members: v.members, firstSerial: v.firstSerial, lastSerial: v.lastSerial });
      options.onVolume?.(v);
    }
    if (closed.length > 0) void deliver();
  }

  async function write(archiveId: string): Promise<void> {
    queued.delete(archiveId);
    if (!run || broken || stopped) return;
    const file = await catalog.getArchived(archiveId);
    if (!file || isOnMedia(file) || inOpenVolume(run, file)) return;
    await writeFile_(run, file);
  }

  /** True when the open volume already holds these bytes (queued twice: by the catch-up and by an event). */
  function inOpenVolume(r: VolumeRun, file: ArchivedFile): boolean {
    return r.current?.entries.some((e) => e.archiveId === file.archiveId && e.sha256 === file.sha256) ?? false;
  }

  async function writeFile_(r: VolumeRun, file: ArchivedFile): Promise<void> {
    const item = archivedItem(file);
    if (!item) {
      failed++;
      logger.warn('media: no local copy to read', { archiveId: file.archiveId, locations: file.locations.map((l) => l.uri) });
      return;
    }
    try {
      await writeMediaItem(r, item);
    } catch (error) {
      broken = toIngestError(error);
      logger.error('media: writing stopped; the open volume stays partial and is re-written at the next start', { error: broken.toJSON() });
    }
    settle(r);
  }

  /**
   * Sends the index message of every complete volume after the last one delivered, oldest first. A call while a
   * delivery runs makes that delivery look again when it ends (a volume may have closed after it listed the
   * directory), rather than wait for the retry timer.
   */
  function deliver(): Promise<void> {
    if (!options.send) return Promise.resolve();
    if (delivering) {
      deliverAgain = true;
      return delivering;
    }
    delivering = (async () => {
      try {
        do {
          deliverAgain = false;
          if (!(await deliverOnce())) break;
        } while (deliverAgain && !stopped);
      } finally {
        delivering = undefined;
      }
    })();
    return delivering;
  }

  /** One pass of {@link deliver}; false when a message could not be sent (a retry is then scheduled). */
  async function deliverOnce(): Promise<boolean> {
    try {
      const last = await readFile(sentFile, 'utf8').then((t) => (JSON.parse(t) as { volume: number }).volume, () => 0);
      const pattern = new RegExp(`^${prefix.replace(/[-]/g, '\\-')}(\\d{6})\\.c1\\.tar$`);
      const numbers = (await readdir(dirs[0]!)).map((n) => pattern.exec(n)).filter((m) => m !== null).map((m) => Number(m[1])).filter((n) => n > last).sort((a, b) => a - b);
      undelivered = numbers.length;
      for (const volume of numbers) {
        const label = `${prefix}${String(volume).padStart(6, '0')}`;
        const paths = dirs.map((d, i) => join(d, volumeFileName(label, i + 1)));
        const { index } = await readVolume(paths[0]!);
        await options.send!(await buildIndexMessage(index, paths, catalog));
        await writeFile(`${sentFile}.tmp`, JSON.stringify({ label, volume }));
        await rename(`${sentFile}.tmp`, sentFile);
        undelivered--;
        logger.info('media: index message delivered', { volume: label });
      }
      return true;
    } catch (error) {
      logger.warn('media: an index message was not delivered; trying again later', { error: toIngestError(error).toJSON() });
      if (!stopped && !retry) {
        retry = setTimeout(() => {
          retry = undefined;
          void deliver();
        }, options.retryMs ?? 60_000);
        retry.unref?.();
      }
      return false;
    }
  }

  async function nightlyClose(): Promise<void> {
    const closeAt = options.closeAt;
    if (closeAt === undefined) return;
    while (!stopped) {
      try {
        await clock.sleep(untilNext(closeAt, clock.now()), stopping.signal);
      } catch {
        return;
      }
      if (!stopped) await transport.closeVolume().catch(() => undefined);
    }
  }

  const onArchived: IngestorEvents['archived'] = (_record, file) => transport.add(file.archiveId);

  const transport: MediaTransport = {
    name: 'media',
    async start() {
      stopped = false;
      const reconciled = await recordLastVolume(dirs, { catalog, labelPrefix: prefix });
      run = await openVolumes({ out: dirs, copies, volumeSize: options.volumeSize, labelPrefix: prefix, catalog, now: () => clock.now() });
      await deliver();
      let after = '';
      for (;;) {
        const page = await catalog.findArchived({
          ...(after !== '' ? { where: [{ column: 'archiveId', op: '>', value: after }] } : {}),
          ...(options.catchUpFrom ? { nightFrom: options.catchUpFrom } : {}),
          limit: 500,
        });
        for (const file of page) if (!isOnMedia(file)) transport.add(file.archiveId);
        if (page.length < 500) break;
        after = page.at(-1)!.archiveId;
      }
      void nightlyClose();
      return { recorded: reconciled.recorded, discarded: run.report.discarded, queued: queued.size };
    },
    follow(ingestor) {
      ingestor.on('archived', onArchived);
      return () => ingestor.off('archived', onArchived);
    },
    add(archiveId) {
      if (queued.has(archiveId)) return;
      queued.add(archiveId);
      void enqueue(() => write(archiveId));
    },
    async idle() {
      let seen: Promise<unknown> | undefined;
      while (seen !== chain) {
        seen = chain;
        await chain;
      }
    },
    closeVolume() {
      return enqueue(async () => {
        if (!run || broken) return undefined;
        try {
          const volume = await closeVolume(run);
          settle(run);
          return volume;
        } catch (error) {
          broken = toIngestError(error);
          throw broken;
        }
      });
    },
    status() {
      const current = run?.current;
      return {
        ...(current ? { current: { label: current.set.label.label, members: current.entries.length, size: current.set.size, firstSerial: current.set.label.firstSerial } } : {}),
        nextSerial: run?.nextSerial ?? 0,
        queued: queued.size,
        undelivered,
        failed,
        ...(broken ? { error: broken } : {}),
      };
    },
    async stop() {
      stopped = true;
      stopping.abort();
      if (retry) clearTimeout(retry);
      retry = undefined;
      await chain;
      await delivering;
      await run?.current?.set.close();
    },
  };
  return transport;
}
