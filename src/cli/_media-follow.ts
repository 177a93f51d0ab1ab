/**
 * `--media-out` of `watch` and `serve`: the untended media transport beside the ingestor — every archived file
 * appended to the open tar volume in N copies as it arrives, volumes closed at their size or at `--media-close-at`
 * (UTC, the end of the night), each closed volume's index message sent to `--media-send` (see docs/media.md).
 */
import type { Command } from 'commander';
import { IngestError } from '../core/errors.js';
import type { Ingestor } from '../core/runtime/engine.js';
import type { CliIo } from './_output.js';

/** The options {@link mediaFollowOptions} adds. */
export interface MediaFollowCliOptions {
  mediaOut?: string[];
  mediaCopies?: string;
  mediaVolumeSize?: string;
  mediaLabelPrefix?: string;
  mediaCloseAt?: string;
  mediaSend?: string;
  mediaSecretEnv?: string;
}

/** Adds the `--media-*` options to a command. */
export function mediaFollowOptions(command: Command): Command {
  return command
    .option('--media-out <dir...>', 'write every archived file live onto tar volumes here (one directory, or one per copy); see fits-ingest media')
    .option('--media-copies <n>', 'identical copies of each volume', '2')
    .option('--media-volume-size <size>', 'maximum volume size (bytes, or 700M, 4G)', '4G')
    .option('--media-label-prefix <prefix>', 'volume labels are PREFIX + six digits', 'FI')
    .option('--media-close-at <HH:MM>', 'close the open volume every day at this time (UTC): the end of the night')
    .option('--media-send <url>', 'POST each closed volume\'s index message to this fits-ingest media receive URL')
    .option('--media-secret-env <var>', 'environment variable holding the secret that signs the index messages');
}

/** The running media transport of a command. */
export interface MediaFollow {
  /** Stops after the file being written (the open volume stays partial; the next start re-writes it). */
  stop(): Promise<void>;
}

/** Starts the media transport when `--media-out` is given; undefined otherwise. Bad options throw INVALID_OPTIONS. */
export async function startMediaFollow(ingestor: Ingestor, options: MediaFollowCliOptions, io: CliIo, command: string, stateDir: string): Promise<MediaFollow | undefined> {
  if (!options.mediaOut) return undefined;
  const { createMediaTransport, httpIndexSender } = await import('../adapters/transports/media/index.js');
  const copies = Number(options.mediaCopies ?? 2);
  if (!Number.isInteger(copies) || copies < 1) throw new IngestError('INVALID_OPTIONS', `--media-copies ${options.mediaCopies}: expected a whole number ≥ 1`, { context: { field: 'media-copies' } });
  let send;
  if (options.mediaSend) {
    const secret = options.mediaSecretEnv ? process.env[options.mediaSecretEnv] : undefined;
    if (!secret) throw new IngestError('INVALID_OPTIONS', '--media-send needs --media-secret-env naming a variable that holds the shared secret', { context: { field: 'media-secret-env' } });
    send = httpIndexSender({ url: options.mediaSend, secret });
  }
  const say = (m: string, f?: Record<string, unknown>) => io.stderr.write(`fits-ingest ${command}: ${m}${f ? ` ${JSON.stringify(f)}` : ''}\n`);
  const media = createMediaTransport({
    catalog: ingestor.catalog,
    out: options.mediaOut.length === 1 ? options.mediaOut[0]! : options.mediaOut,
    copies,
    volumeSize: options.mediaVolumeSize ?? '4G',
    labelPrefix: options.mediaLabelPrefix ?? 'FI',
    stateDir,
    ...(options.mediaCloseAt ? { closeAt: options.mediaCloseAt } : {}),
    ...(send ? { send } : {}),
    logger: { debug() {}, info: say, warn: say, error: say },
  });
  const started = await media.start();
  media.follow(ingestor);
  say(`media: writing to ${options.mediaOut.join(', ')}; ${started.queued} archived files not on media yet queued${started.discarded.length ? `, partial volumes of an interrupted run re-written: ${started.discarded.join(', ')}` : ''}`);
  return { stop: () => media.stop() };
}
