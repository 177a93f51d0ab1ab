/**
 * A real archive (ingestor + ingest server on 127.0.0.1) and prepared frames to send to it, for the HTTP tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryCatalog } from '../../../src/adapters/catalogs/memory.js';
import { createSqliteCatalog } from '../../../src/adapters/catalogs/sqlite.js';
import { createIngestServer, type IngestServer, type IngestServerOptions, type ListenOptions, type ListeningServer, type TokenEntry } from '../../../src/adapters/http/server.js';
import { createFilesystemTransport } from '../../../src/adapters/transports/filesystem.js';
import type { Catalog } from '../../../src/core/ports/catalog.js';
import type { Logger } from '../../../src/core/ports/logger.js';
import type { TransferRequest } from '../../../src/core/ports/transport.js';
import { builtinInstruments, createIngestor, type Ingestor, type IngestorOptions } from '../../../src/index.js';
import { frameName, makeFrame, type FrameOptions } from '../../../src/simulator/frames.js';

/** Tokens every test archive accepts. */
export const TOKENS = {
  push: 'push-token-0123456789abcdef-keck',
  read: 'read-token-0123456789abcdef-keck',
  admin: 'admin-token-0123456789abcdef-ops',
  hiresOnly: 'hires-token-0123456789abcdef-x',
  expired: 'old-token-0123456789abcdef-gone',
} as const;

export const TOKEN_ENTRIES: TokenEntry[] = [
  { site: 'keck', token: TOKENS.push, scopes: ['push'] },
  { site: 'reader', token: TOKENS.read, scopes: ['read'] },
  { site: 'ops', token: TOKENS.admin, scopes: ['admin'] },
  { site: 'hires-drp', token: TOKENS.hiresOnly, scopes: ['push', 'read'], instruments: ['HIRES'] },
  { site: 'old', token: TOKENS.expired, scopes: ['push', 'read'], expires: '2020-01-01T00:00:00Z' },
];

/** A running archive. */
export interface Archive {
  dir: string;
  root: string;
  uploads: string;
  url: string;
  ingestor: Ingestor;
  catalog: Catalog;
  server: IngestServer;
  listening: ListeningServer;
  stop(): Promise<void>;
}

export interface ArchiveOptions {
  dir?: string;
  sqlite?: boolean;
  server?: Partial<Omit<IngestServerOptions, 'ingestor'>>;
  ingestor?: Partial<IngestorOptions>;
  listen?: ListenOptions;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `fits-http-${prefix}-`));
}

/** Starts an archive with a filesystem archive root, a catalog, and the ingest server listening on loopback. */
export async function startArchive(options: ArchiveOptions = {}): Promise<Archive> {
  const dir = options.dir ?? tempDir('archive');
  const root = join(dir, 'archive');
  const uploads = join(dir, 'uploads');
  mkdirSync(root, { recursive: true });
  const catalog = options.sqlite ? createSqliteCatalog({ path: join(dir, 'catalog.sqlite'), instruments: [...builtinInstruments()] }) : createMemoryCatalog();
  const ingestor = createIngestor({
    instruments: builtinInstruments(),
    catalog,
    transports: [createFilesystemTransport({ root })],
    staging: join(dir, 'staging'),
    tickMs: 10,
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
    ...options.ingestor,
  });
  const server = createIngestServer({ ingestor, uploads, tokens: TOKEN_ENTRIES, ...options.server });
  await ingestor.start();
  const listening = await server.listen(options.listen);
  return {
    dir,
    root,
    uploads,
    url: listening.url,
    ingestor,
    catalog,
    server,
    listening,
    async stop() {
      await listening.close(100);
      await server.close();
      await ingestor.stop();
      await catalog.close();
    },
  };
}

const T = new Date(Date.UTC(2026, 10, 20, 8, 30, 15, 50));

/** Writes raw KCWI frames (not yet normalized) into `dir`. */
export function writeRawFrames(dir: string, count: number, extra: Partial<FrameOptions> = {}, first = 1): string[] {
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: count }, (_, i) => {
    const options = { time: new Date(T.getTime() + (first + i) * 60_000), frameNumber: first + i, axes: [64, 64] as [number, number], ...extra };
    const path = join(dir, frameName(options));
    writeFileSync(path, makeFrame(options));
    return path;
  });
}

/**
 * Prepared frames as an observatory's ingestor makes them (normalized, archive id in the header, sums written),
 * with the TransferRequest its transport would get.
 */
export async function preparedFrames(dir: string, count: number, extra: Partial<FrameOptions> = {}, first = 1): Promise<TransferRequest[]> {
  const raw = writeRawFrames(join(dir, 'raw'), count, extra, first);
  const local = join(dir, 'site-a');
  mkdirSync(local, { recursive: true });
  const catalog = createMemoryCatalog();
  const site = createIngestor({ instruments: builtinInstruments(), catalog, transports: [createFilesystemTransport({ root: local, manifest: false, sidecar: false })], staging: join(dir, 'staging-a'), tickMs: 10 });
  await site.start();
  try {
    const ids: string[] = [];
    for (const path of raw) ids.push((await site.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true })).record.id);
    const records = await site.settled(ids);
    const requests: TransferRequest[] = [];
    for (const record of records) {
      if (record.state !== 'ARCHIVED') throw new Error(`could not prepare ${record.source}: ${record.state} ${record.error?.message}`);
      const file = (await catalog.getArchived(record.archiveId!))!;
      requests.push({
        recordId: record.id,
        archiveId: file.archiveId,
        instrument: file.instrument,
        level: file.level,
        night: file.night,
        path: file.locations[0]!.uri,
        size: file.size,
        sha256: file.sha256,
        hdus: file.hdus,
        originalName: file.originalName,
        sidecar: { parents: file.parents },
      });
    }
    return requests;
  } finally {
    await site.stop();
  }
}

/** Files under a directory, recursively (relative paths). */
export function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
      .sort();
  } catch {
    return [];
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A logger that keeps what it is told. */
export function memoryLogger(): Logger & { lines: { level: string; message: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, ...(fields ? { fields } : {}) });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Polls `condition` every 20 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A self-signed certificate for 127.0.0.1 and localhost, valid one day; returns the PEM paths. */
export function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`openssl is needed to make the test certificate (apt-get install openssl): ${(error as Error).message}`);
  }
  return { cert, key };
}
