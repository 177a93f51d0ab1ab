/**
 * Maildir helpers shared by the mail triggers: folder creation, unique names, and durable delivery of a message
 * with fits-ingest headers prepended (how a rejected message is kept with its reason). A delivery is written in
 * `tmp/`, flushed, then renamed into `new/`, as the Maildir convention requires. Internal to src/adapters/triggers.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, mkdir, rename } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { syncDirectory } from '../../io/durable-fs.js';

/** Creates `dir` with its `tmp`, `new` and `cur` subfolders if missing. */
export async function ensureMaildir(dir: string): Promise<void> {
  for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(dir, sub), { recursive: true });
}

let sequence = 0;

/** A Maildir-unique base name: `<seconds>.M<micros>P<pid>Q<n>R<random>.<host>`. */
export function uniqueName(nowMs: number): string {
  const host = hostname().replace(/[/:]/g, '_') || 'localhost';
  const micros = String(Math.floor((nowMs % 1000) * 1000)).padStart(6, '0');
  return `${Math.floor(nowMs / 1000)}.M${micros}P${process.pid}Q${++sequence}R${randomBytes(4).toString('hex')}.${host}`;
}

/** One header field, made safe: printable ASCII on one line, at most 900 characters. */
export function headerField(name: string, value: string): string {
  const safe = value.replace(/[^\x20-\x7e]/g, '?');
  return `${name}: ${safe.length > 900 ? `${safe.slice(0, 897)}...` : safe}`;
}

async function firstBytes(path: string, count: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(count), 0, count, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The line ending a message uses (CRLF as received by SMTP, LF as stored by most delivery agents). */
export function lineEnding(message: Uint8Array): string {
  const head = Buffer.from(message.subarray(0, 4096)).toString('latin1');
  const lf = head.indexOf('\n');
  return lf > 0 && head[lf - 1] === '\r' ? '\r\n' : '\n';
}

/**
 * Delivers `header lines + message` into the `new/` folder of the Maildir `dir` (created if missing) under
 * `name`, durably; returns the delivered path. `message` is the bytes, or `{ path }` to copy a file of any size.
 */
export async function deliverWithHeaders(
  dir: string,
  name: string,
  headers: readonly string[],
  message: Uint8Array | { path: string },
): Promise<string> {
  await ensureMaildir(dir);
  const head = message instanceof Uint8Array ? message : await firstBytes(message.path, 4096);
  const eol = lineEnding(head);
  const temp = join(dir, 'tmp', name);
  const target = join(dir, 'new', name);
  const handle = await open(temp, 'w');
  try {
    await handle.write(Buffer.from(headers.map((h) => h + eol).join(''), 'latin1'));
    if (message instanceof Uint8Array) await handle.write(message);
    else for await (const chunk of createReadStream(message.path)) await handle.write(chunk as Buffer);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, target);
  await syncDirectory(join(dir, 'new'));
  return target;
}
