/**
 * "Stream all" (Keck RTUI): copies every archived file of a program from an ingest server to a local directory as
 * it is archived. Each file is downloaded into `<dir>/.partial/`, resumed with `Range` after a broken connection
 * or a restart, verified against the SHA-256 the server lists, then renamed to `<dir>/<night>/<archiveId>.fits`
 * and recorded in `<dir>/.fits-pull.json` — so a file is never downloaded twice, and a crash at any point leaves
 * either a partial download that resumes or a verified file.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { IngestError } from '../../core/errors.js';
import type { IngestStatus } from './protocol.js';

/** Options of {@link pullFiles}. */
export interface PullOptions {
  /** The ingest server, e.g. `https://archive.example.org:8443`. */
  url: string;
  /** Bearer token (a token of the program, or of every program). */
  token?: string;
  /** Program id (PROGID). */
  program: string;
  /** Nights to pull (YYYY-MM-DD); by default yesterday's and today's (UT), recomputed at each poll. */
  nights?: string[];
  /** Local directory. */
  dir: string;
  /** Keep polling for new files until `signal` aborts. @default false */
  follow?: boolean;
  /** Between polls, in ms. @default 2000 */
  intervalMs?: number;
  /** CA certificate(s) to trust for https. */
  ca?: string | Buffer;
  signal?: AbortSignal;
  /** Called for each file once it is verified and in place. */
  onFile?: (file: PulledFile) => void;
  /** Called when a request fails and is retried. */
  onRetry?: (what: string, error: Error) => void;
  /** The time (for the default nights). @default Date.now */
  now?: () => number;
}

/** A file copied by {@link pullFiles}. */
export interface PulledFile {
  archiveId: string;
  night: string;
  path: string;
  sha256: string;
  size: number;
}

interface PullState {
  server: string;
  program: string;
  /** archiveId → SHA-256 of the copy in place. */
  files: Record<string, string>;
}

const STATE = '.fits-pull.json';
const utDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then((s) => s.size, () => -1);
}

async function loadState(options: PullOptions): Promise<PullState> {
  const text = await readFile(join(options.dir, STATE), 'utf8').catch(() => undefined);
  const state = text ? (JSON.parse(text) as PullState) : { server: options.url, program: options.program, files: {} };
  if (state.program.toUpperCase() !== options.program.toUpperCase()) {
    throw new IngestError('INVALID_OPTIONS', `${options.dir} holds a pull of program ${state.program}; pull ${options.program} into another directory`, { context: { file: options.dir } });
  }
  return state;
}

async function saveState(dir: string, state: PullState): Promise<void> {
  const temp = join(dir, `${STATE}.tmp`);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(JSON.stringify(state, null, 1));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, join(dir, STATE));
}

/** One GET; resolves with the response (status not checked). */
function get(options: PullOptions, path: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  const url = new URL(path, options.url);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { ...headers, ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) }, ...(options.ca ? { ca: options.ca } : {}), signal: options.signal }, resolve);
    req.setTimeout(60_000, () => req.destroy(new Error('no answer for 60 s')));
    req.on('error', reject);
    req.end();
  });
}

async function failure(res: IncomingMessage, what: string): Promise<IngestError> {
  let body = '';
  for await (const chunk of res) body += String(chunk);
  const detail = (() => {
    try {
      return (JSON.parse(body) as { error?: { message?: string } }).error?.message ?? body;
    } catch {
      return body;
    }
  })();
  const code = res.statusCode === 401 || res.statusCode === 403 ? 'UNAUTHORIZED' : 'SERVER_ERROR';
  return new IngestError(code, `${what}: HTTP ${res.statusCode} ${detail}`.trim());
}

async function listNight(options: PullOptions, night: string): Promise<IngestStatus[]> {
  const res = await get(options, `/v1/nights/${night}?program=${encodeURIComponent(options.program)}`);
  if (res.statusCode !== 200) throw await failure(res, `listing ${night}`);
  let body = '';
  for await (const chunk of res) body += String(chunk);
  return (JSON.parse(body) as { files: IngestStatus[] }).files;
}

/** Downloads (or resumes) one file into `part`; resolves once the server sent the whole of it. */
async function download(options: PullOptions, file: IngestStatus, part: string): Promise<void> {
  const have = Math.max(0, await sizeOf(part));
  const res = await get(options, `/v1/files/${encodeURIComponent(file.archiveId!)}/content`, have > 0 ? { range: `bytes=${have}-` } : {});
  if (res.statusCode === 416) {
    res.resume();
    await rm(part, { force: true }); // longer than the file: start again
    throw new Error('the partial download is longer than the file');
  }
  if (res.statusCode !== 200 && res.statusCode !== 206) throw await failure(res, `downloading ${file.archiveId}`);
  const append = res.statusCode === 206;
  await pipeline(res, createWriteStream(part, { flags: append ? 'a' : 'w' }));
}

/**
 * Copies the program's archived files (of `nights`) into `dir`; with `follow`, keeps polling until `signal`
 * aborts. Resolves to the files copied by this call.
 *
 * @throws IngestError UNAUTHORIZED (the token is refused), INVALID_OPTIONS (dir holds another program's pull)
 */
export async function pullFiles(options: PullOptions): Promise<PulledFile[]> {
  const now = options.now ?? Date.now;
  await mkdir(join(options.dir, '.partial'), { recursive: true });
  const state = await loadState(options);
  const pulled: PulledFile[] = [];
  const interval = options.intervalMs ?? 2000;
  for (;;) {
    const nights = options.nights ?? [utDate(now() - 86_400_000), utDate(now())];
    for (const night of nights) {
      if (options.signal?.aborted) return pulled;
      let files: IngestStatus[];
      try {
        files = await listNight(options, night);
      } catch (error) {
        if (error instanceof IngestError && error.code === 'UNAUTHORIZED') throw error;
        if (options.signal?.aborted) return pulled;
        options.onRetry?.(`listing ${night}`, error as Error);
        if (!options.follow) throw error;
        continue;
      }
      for (const file of files) {
        if (file.state !== 'ARCHIVED' || !file.archiveId || !file.archivedSha256 || state.files[file.archiveId] === file.archivedSha256) continue;
        const done = await pullOne(options, file, night);
        if (!done) return pulled; // aborted
        state.files[file.archiveId] = done.sha256;
        await saveState(options.dir, state);
        pulled.push(done);
        options.onFile?.(done);
      }
    }
    if (!options.follow || options.signal?.aborted) return pulled;
    await sleep(interval, options.signal);
  }
}

/** One file: resumed until whole, verified, renamed into place; undefined when aborted. */
async function pullOne(options: PullOptions, file: IngestStatus, night: string): Promise<PulledFile | undefined> {
  const id = file.archiveId!;
  const target = join(options.dir, night, `${id}.fits`);
  const part = join(options.dir, '.partial', `${id}.fits.part`);
  // Renamed into place by a run that stopped before recording it: verified again, not downloaded again.
  if ((await sizeOf(target)) === file.size && (await sha256Of(target)) === file.archivedSha256) {
    return { archiveId: id, night, path: target, sha256: file.archivedSha256!, size: file.size };
  }
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) return undefined;
    try {
      await download(options, file, part);
    } catch (error) {
      if (options.signal?.aborted) return undefined;
      if (error instanceof IngestError && error.code === 'UNAUTHORIZED') throw error;
      options.onRetry?.(`downloading ${id} (attempt ${attempt})`, error as Error);
      await sleep(Math.min(10_000, 200 * 2 ** Math.min(attempt, 6)), options.signal);
      continue;
    }
    const size = await sizeOf(part);
    if (file.size !== null && size < file.size) continue; // the connection ended early: resume
    const sha256 = await sha256Of(part);
    if (sha256 !== file.archivedSha256) {
      await rm(part, { force: true });
      options.onRetry?.(`verifying ${id}`, new Error(`SHA-256 ${sha256} is not the archive's ${file.archivedSha256}; downloading again`));
      if (attempt >= 5) throw new IngestError('DIGEST_MISMATCH', `${id}: the bytes received never matched the archive's SHA-256`, { context: { archiveId: id } });
      continue;
    }
    const handle = await open(part, 'r');
    await handle.sync().finally(() => handle.close());
    await mkdir(join(options.dir, night), { recursive: true });
    await rename(part, target);
    return { archiveId: id, night, path: target, sha256, size };
  }
}
