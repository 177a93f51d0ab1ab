/**
 * `fits-ingest serve` (the archive's HTTP ingest server) and `fits-ingest push` (send files to one), plus the
 * `--to URL` options that make `fits-ingest watch` ship to a remote archive over HTTP.
 */
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { z } from 'zod';
import type { FileMeta, IngestStatus } from '../../adapters/http/protocol.js';
import { parseDuration } from '../../core/duration.js';
import { IngestError, isIngestError } from '../../core/errors.js';
import type { FileRecord } from '../../core/lifecycle/record.js';
import type { Transport } from '../../core/ports/transport.js';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';
import { ingestOptions, printOutcome, type IngestCliOptions } from '../_ingest-options.js';
import { scrubRateOption } from '../_background-scrub.js';
import { mediaFollowOptions, type MediaFollowCliOptions } from '../_media-follow.js';
import { quickLookOptions, type QuickLookCliOptions } from '../_quicklook-options.js';

// got, the server, zod and the checksum engine load only when a command here runs (CLI startup stays fast).
const lazy = {
  zod: () => import('zod'),
  client: () => import('../../adapters/http/client.js'),
  protocol: () => import('../../adapters/http/protocol.js'),
  server: () => import('../../adapters/http/server.js'),
  transport: () => import('../../adapters/http/transport.js'),
  sums: () => import('../../io/checksum-file.js'),
  checksum: () => import('../../core/checksum/hdu-checksums.js'),
  ingestor: () => import('../_run-ingestor.js'),
  files: () => import('../_scan-paths.js'),
};

/** Reads an option through a zod schema; a failure is a usage error naming the option. */
function option<S extends z.ZodType>(schema: S, value: unknown, name: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new IngestError('INVALID_OPTIONS', `${name}: ${result.error.issues[0]!.message}`, { context: { field: name } });
  return result.data;
}
async function schemas() {
  const { z } = await lazy.zod();
  return {
    count: (min: number, max: number) => z.coerce.number().int().min(min).max(max),
    url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
    level: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  };
}

/** Options that send to a remote archive (`push`, `watch --to`). */
export interface SendCliOptions {
  to?: string;
  token?: string;
  ca?: string;
}

/** Adds `--to`, `--token` and `--ca` to a command. */
export function sendOptions(command: Command, required: boolean): Command {
  const to = 'the archive\'s ingest server, e.g. https://archive.example.org:8443';
  return (required ? command.requiredOption('--to <url>', to) : command.option('--to <url>', `ship to ${to} instead of the local --archive`))
    .option('--token <token>', 'bearer token with the push scope (default: $FITS_INGEST_TOKEN)')
    .option('--ca <file>', 'CA certificate (PEM) to trust for an https server, e.g. a self-signed one');
}

function token(options: SendCliOptions): string | undefined {
  const value = options.token ?? process.env['FITS_INGEST_TOKEN'];
  return value === undefined || value === '' ? undefined : value;
}

/** The HTTP transport `watch --to` ships with, or undefined without `--to`. */
export async function httpTransportFromOptions(options: SendCliOptions): Promise<Transport | undefined> {
  if (options.to === undefined) return undefined;
  const t = token(options);
  const { url } = await schemas();
  const { createHttpTransport } = await lazy.transport();
  return createHttpTransport({
    url: option(url, options.to, '--to'),
    ...(t ? { token: t } : {}),
    ...(options.ca ? { ca: readFileSync(options.ca) } : {}),
  });
}

interface ServeOptions extends IngestCliOptions, MediaFollowCliOptions, QuickLookCliOptions {
  scrubRate?: string;
  port: string;
  host: string;
  tlsCert?: string;
  tlsKey?: string;
  tokens?: string;
  auth: boolean;
  uploads?: string;
  maxUploadBytes?: string;
  uploadTtl?: string;
  public?: boolean;
  pages: boolean;
}

/** `--upload-ttl`: milliseconds, or a number with ms, s, m, h or d. */
function durationMs(text: string, flag: string): number {
  const ms = parseDuration(text, flag.replace(/^--/, ''));
  if (ms < 1000) {
    throw new IngestError('INVALID_OPTIONS', `${flag} ${JSON.stringify(text)}: give a duration of at least 1 s, e.g. 24h, 90m or 3600s`, { context: { field: flag } });
  }
  return Math.round(ms);
}

interface PushOptions extends SendCliOptions {
  instrument?: string;
  level: string;
  parent?: string[];
  prepared?: boolean;
  reingest?: boolean;
  wait: boolean;
  concurrency: string;
  timeout: string;
  retries: string;
  json?: boolean;
}

/** Resolves when SIGINT or SIGTERM arrives (the count of signals so far goes to `each`). */
function onSignals(each: (signal: string, n: number) => void): { stopped: Promise<void>; dispose: () => void } {
  let n = 0;
  let done = (): void => {};
  const stopped = new Promise<void>((resolveStop) => (done = resolveStop));
  const handler = (signal: string): void => {
    each(signal, ++n);
    done();
  };
  process.on('SIGINT', handler).on('SIGTERM', handler);
  return { stopped, dispose: () => void process.off('SIGINT', handler).off('SIGTERM', handler) };
}

async function serve(io: CliIo, options: ServeOptions): Promise<void> {
  if (options.instrument) throw new IngestError('INVALID_OPTIONS', '--instrument does not apply to serve: each request declares its instrument', { context: { field: 'instrument' } });
  const { count } = await schemas();
  const { createIngestServer, loadTokensFile } = await lazy.server();
  const port = option(count(0, 65535), options.port, '--port');
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new IngestError('INVALID_OPTIONS', '--tls-cert and --tls-key go together', { context: { field: 'tls' } });
  if (!options.tokens && options.auth) {
    throw new IngestError('INVALID_OPTIONS', '--tokens FILE is required (or --no-auth, for a test server on a private network only)', { context: { field: 'tokens' } });
  }
  const tokens = options.tokens ? await loadTokensFile(options.tokens) : [];
  const limits = {
    ...(options.maxUploadBytes ? { maxUploadBytes: option(count(1, Number.MAX_SAFE_INTEGER), options.maxUploadBytes, '--max-upload-bytes') } : {}),
    ...(options.uploadTtl ? { uploadTtlMs: durationMs(options.uploadTtl, '--upload-ttl') } : {}),
  };
  const { quickLookInstruments, startQuickLook } = await import('../_quicklook.js');
  const withRules = await quickLookInstruments(options);
  const { ingestor, archive } = await (await lazy.ingestor()).ingestorFromOptions(options, withRules ? { instruments: withRules } : {});
  // The server is made once the ingestor (and quick-look, which needs it started) runs.
  const makeServer = (quick: import('../_quicklook.js').RunningQuickLook | undefined) => createIngestServer({
    ingestor,
    uploads: resolve(options.uploads ?? join(archive, '.uploads')),
    tokens,
    allowAnonymous: !options.auth,
    public: options.public === true,
    pages: options.pages ? { archiveRoot: archive } : false,
    limits,
    // Refusals (with the token's site), expired uploads and failures go to stderr, one line each.
    logger: { debug() {}, info() {}, warn: (m, f) => io.stderr.write(`fits-ingest serve: ${m}${f ? ` ${JSON.stringify(f)}` : ''}\n`), error: (m, f) => io.stderr.write(`fits-ingest serve: ${m}${f ? ` ${JSON.stringify(f)}` : ''}\n`) },
    ...(quick ? { processing: quick.service, quickLook: quick.quickLook } : {}),
  });
  let server: ReturnType<typeof makeServer> | undefined;
  let quick: import('../_quicklook.js').RunningQuickLook | undefined;
  const done = (record: FileRecord): void => printOutcome(io, record, options.json);
  ingestor.on('archived', done).on('invalid', done).on('abandoned', done).on('duplicate', done);
  let listening: Awaited<ReturnType<ReturnType<typeof makeServer>['listen']>> | undefined;
  let background: import('../_background-scrub.js').BackgroundScrub | undefined;
  let media: import('../_media-follow.js').MediaFollow | undefined;
  const signals = onSignals((signal, n) => {
    io.stderr.write(`fits-ingest serve: ${signal}: ${n === 1 ? 'finishing requests and files in progress…' : 'cutting connections, aborting files in progress'}\n`);
    if (n > 1) listening?.server.closeAllConnections();
  });
  try {
    await ingestor.start();
    if (options.quicklook !== undefined) quick = await startQuickLook(ingestor, options, io, 'serve');
    server = makeServer(quick);
    background = await (await import('../_background-scrub.js')).startBackgroundScrub(ingestor, archive, options.scrubRate, io, 'serve');
    media = await (await import('../_media-follow.js')).startMediaFollow(ingestor, options, io, 'serve', archive);
    const tls = options.tlsCert ? { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey!) } : undefined;
    listening = await server.listen({ port, host: options.host, ...(tls ? { tls } : {}) });
    if (options.json) printJsonLine(io, { event: 'listening', url: listening.url, port: listening.port });
    io.stderr.write(`fits-ingest serve: listening on ${listening.url} (archive ${archive})${options.pages ? `; monitor and portal at ${listening.url}/ui/` : ''}\n`);
    await signals.stopped;
  } finally {
    signals.dispose();
    await listening?.close(10_000);
    await server?.close();
    await background?.stop();
    await media?.stop();
    await quick?.stop();
    await ingestor.stop();
    await ingestor.catalog.close();
  }
}

/** What `push` declares for a file: its digest and every HDU's sums, from one read. */
async function declare(path: string, options: PushOptions): Promise<FileMeta> {
  const [{ sumFile }, { verifyHduSums }, { FILE_NAME }, { level }] = await Promise.all([lazy.sums(), lazy.checksum(), lazy.protocol(), schemas()]);
  const sums = await sumFile(path, { sha256: true });
  const name = basename(path);
  if (!FILE_NAME.test(name)) throw new IngestError('INVALID_OPTIONS', `the file name ${name} must be A-Z a-z 0-9 . _ + - only (rename it)`, { context: { file: path } });
  return {
    sha256: sums.sha256!,
    size: sums.size,
    name,
    ...(options.instrument ? { instrument: options.instrument } : {}),
    level: option(level, Number(options.level), '--level'),
    parents: options.parent ?? [],
    hdus: sums.hdus.map((h) => {
      const report = verifyHduSums(h);
      const checksum = report.checksumStatus === 'ok' && typeof report.storedChecksum === 'string' ? report.storedChecksum : '';
      return { index: h.hdu.index, datasum: h.datasum, checksum };
    }),
    prepared: options.prepared ?? false,
    replace: options.reingest ?? false,
  };
}

/**
 * The word for a file that never got a state at the archive: REFUSED when the archive said no (a bad token, a
 * refused declaration: sending again does not help), UNSENT when it could not be reached or kept failing.
 * Never FAILED, which names the archive's own retried state.
 */
function notSent(error: IngestError | undefined): 'REFUSED' | 'UNSENT' {
  return error && (error.kind === 'invalid' || error.kind === 'usage') ? 'REFUSED' : 'UNSENT';
}

function report(io: CliIo, file: string, status: IngestStatus | undefined, error: IngestError | undefined, json: boolean | undefined): void {
  if (json) {
    printJsonLine(io, {
      file,
      state: status?.state ?? notSent(error),
      archiveId: status?.archiveId ?? null,
      recordId: status?.recordId ?? null,
      sha256: status?.sha256 ?? null,
      alreadyArchived: status?.alreadyArchived ?? false,
      ...(status?.error ? { code: status.error.code, message: status.error.message } : {}),
      ...(error ? { code: error.code, message: error.message } : {}),
      ...(status ? { metrics: status.metrics } : {}),
    });
    return;
  }
  if (error) return void io.stdout.write(`${notSent(error).padEnd(10)} ${file}  ${error.code}: ${error.message}\n`);
  const s = status!;
  const detail = s.error ? `${s.error.code}: ${s.error.message}` : `${s.archiveId ?? '(archive id pending)'}${s.alreadyArchived ? '  (already archived)' : ''}`;
  const timing = s.metrics.receiveToArchiveMs !== null ? `  received→archived ${s.metrics.receiveToArchiveMs} ms` : '';
  io.stdout.write(`${s.state.padEnd(10)} ${file}  ${detail}${timing}\n`);
}

async function push(io: CliIo, paths: string[], options: PushOptions): Promise<number> {
  const { url, count } = await schemas();
  const { IngestClient } = await lazy.client();
  const to = option(url, options.to, '--to');
  const client = new IngestClient({
    url: to,
    token: token(options),
    ca: options.ca ? readFileSync(options.ca) : undefined,
    concurrency: option(count(1, 64), options.concurrency, '--concurrency'),
    oneShotMaxBytes: 8 << 20,
    timeouts: { connectMs: 10_000, idleMs: 120_000 },
    retry: { maxAttempts: option(count(1, 100), options.retries, '--retries'), baseDelayMs: 500, maxDelayMs: 30_000 },
    logger: { debug() {}, info() {}, warn: (m) => io.stderr.write(`fits-ingest push: ${m}\n`), error: (m) => io.stderr.write(`fits-ingest push: ${m}\n`) },
    random: Math.random,
  });
  const timeoutMs = option(count(1, 86_400), options.timeout, '--timeout') * 1000;
  const files = await (await lazy.files()).expand(paths);
  if (files.length === 0) throw new IngestError('INVALID_OPTIONS', 'no FITS files found in the paths given', { context: { field: 'file' } });
  let exit = EXIT_OK;
  try {
    await Promise.all(
      files.map((file) =>
        client.limit(async () => {
          try {
            const meta = await declare(file, options);
            const received = await client.upload(file, meta, undefined, { wait: options.wait ? 30 : 0 });
            const { size: _size, hdus: _hdus, replace, ...fields } = meta;
            let status = received.ingest ?? (await client.ingest({ ...fields, reingest: replace, wait: options.wait ? 30 : 0 }));
            if (options.wait) status = await client.waitFinal(status, timeoutMs, 30);
            report(io, file, status, undefined, options.json);
            if (status.state === 'INVALID' || status.state === 'ABANDONED') exit = Math.max(exit, EXIT_CHECK_FAILED);
          } catch (error) {
            const e = isIngestError(error) ? error : new IngestError('INTERNAL', String(error), { cause: error });
            report(io, file, undefined, e, options.json);
            exit = Math.max(exit, e.kind === 'invalid' ? EXIT_CHECK_FAILED : EXIT_USAGE);
          }
        }),
      ),
    );
  } finally {
    client.close();
  }
  return exit;
}

export function registerHttpCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  quickLookOptions(mediaFollowOptions(scrubRateOption(ingestOptions(program.command('serve').description('run the archive\'s HTTP ingest server: receive, verify, archive and report files sent by observatories and pipelines')))))
    .option('--port <n>', 'TCP port (0 = any free port, printed at start)', '8080')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'the private key (PEM) of --tls-cert')
    .option('--tokens <file>', 'bearer tokens (JSON or YAML: site, sha256 or token, scopes, instruments, expires, callback)')
    .option('--no-auth', 'accept requests without a token (a test server on a private network only)')
    .option('--uploads <dir>', 'partial and received uploads (default: <archive>/.uploads)')
    .option('--max-upload-bytes <n>', 'largest file accepted (default: 64 GiB)')
    .option('--upload-ttl <duration>', 'delete uploads idle this long — partial ones, and received files nobody asked to ingest (e.g. 24h, 90m; default 24h)')
    .option('--public', 'serve released files (proprietary period over) to callers without a token')
    .option('--no-pages', 'do not serve the operator monitor and observer portal under /ui/')
    .addHelpText(
      'after',
      '\nEndpoints and examples: docs/http.md. SIGINT/SIGTERM stop gracefully (a second signal cuts connections).\n\n' +
        'Example:\n  fits-ingest serve --archive /archive --port 8443 --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem --tokens tokens.yaml',
    )
    .action(async (options: ServeOptions) => {
      try {
        await serve(io, options);
        setExit(EXIT_OK);
      } catch (error) {
        io.stderr.write(`fits-ingest serve: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      }
    });

  sendOptions(program.command('push').description('send FITS files to an archive\'s ingest server and wait for its verdict (exit 1 if any is refused)'), true)
    .argument('<file...>', 'FITS files, or directories to scan for *.fits')
    .option('--instrument <name>', 'the instrument of the files (required by tokens limited to some instruments)')
    .option('--level <n>', 'processing level: 0 raw, 1 quick-look, 2 reduced', '0')
    .option('--parent <archive-id...>', 'archive ids of the raw frames a product was made from')
    .option('--prepared', 'the files were normalized by another fits-ingest site: keep their archive id and bytes')
    .option('--reingest', 'replace what the archive holds under the same archive id')
    .option('--no-wait', 'return once the archive accepted the bytes and queued the ingestion')
    .option('--concurrency <n>', 'files sent at once', '4')
    .option('--timeout <seconds>', 'how long to wait for the archive\'s verdict on one file', '900')
    .option('--retries <n>', 'attempts per request for transient failures', '8')
    .option('--json', 'one JSON object per file and line')
    .addHelpText(
      'after',
      '\nExit status: 0 all archived (or already there), 1 the archive refused some file, 2 usage, authentication or network error.\n\n' +
        'Examples:\n  FITS_INGEST_TOKEN=… fits-ingest push night/*.fits --to https://archive.example.org:8443 --json\n' +
        '  fits-ingest push reduced.fits --to http://127.0.0.1:8080 --level 2 --parent KB.20261120.30675.05',
    )
    .action(async (paths: string[], options: PushOptions) => {
      try {
        setExit(await push(io, paths, options));
      } catch (error) {
        io.stderr.write(`fits-ingest push: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      }
    });
}
