/** Shared by the mail trigger tests: swaks (a real SMTP client nobody here wrote), nodemailer, Maildir delivery. */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { uniqueName } from '../../../src/adapters/triggers/_mail-maildir.js';
import type { TriggerSink, WorkItem } from '../../../src/core/ports/trigger.js';

/** What swaks did: its exit code and the server's replies (`250 …`, `550 …`). */
export interface SwaksRun {
  exitCode: number;
  replies: string[];
  output: string;
}

/** Runs swaks; fails loudly when it is not installed. */
export function swaks(args: string[]): Promise<SwaksRun> {
  return new Promise((resolve, reject) => {
    execFile('swaks', ['--hide-informational', '--timeout', '20', ...args], { encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error('swaks is not installed: run scripts/setup-test.sh (it installs the Debian package swaks)'));
        return;
      }
      const output = `${stdout}${stderr}`;
      const replies = output
        .split('\n')
        .map((line) => /^<[-~*]+\s+(\d{3}[ -].*)$/.exec(line)?.[1])
        .filter((line): line is string => line !== undefined);
      const exitCode = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
      resolve({ exitCode, replies, output });
    });
  });
}

/** swaks arguments for a message to the receiver on `port`. */
export function swaksMessage(
  port: number,
  options: { subject?: string; body?: string; bodyFile?: string; auth?: { user: string; pass: string }; headers?: Record<string, string> },
): string[] {
  const args = ['--server', '127.0.0.1', '--port', String(port), '--from', 'stb@mountain.example.org', '--to', 'ingest@archive.example.org'];
  if (options.auth) args.push('--auth', 'PLAIN', '--auth-user', options.auth.user, '--auth-password', options.auth.pass);
  args.push('--header', `Subject: ${options.subject ?? 'fits-ingest announce'}`);
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('--header', `${name}: ${value}`);
  if (options.bodyFile !== undefined) args.push('--body', `@${options.bodyFile}`);
  else if (options.body !== undefined) args.push('--body', options.body);
  return args;
}

/** A body file for swaks (it takes multi-line bodies from files). */
export function bodyFile(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

/** A nodemailer transport to the receiver on `port` (loopback, no TLS). */
export function mailer(port: number, auth?: { user: string; pass: string }, pool = false) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    ...(pool ? { pool: true, maxConnections: 4 } : {}),
    ...(auth ? { auth } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  } as nodemailer.TransportOptions);
}

/** Delivers a message into the Maildir `dir` as a mail server does: written in tmp/, renamed into new/. */
export async function deliver(dir: string, message: string): Promise<string> {
  const name = uniqueName(Date.now());
  await writeFile(join(dir, 'tmp', name), message);
  await rename(join(dir, 'tmp', name), join(dir, 'new', name));
  return name;
}

/** An RFC 5322 message with the given subject, headers and body. */
export function rawMessage(subject: string, body: string, headers: Record<string, string> = {}): string {
  const lines = ['From: stb@mountain.example.org', 'To: ingest@archive.example.org', `Subject: ${subject}`, 'Message-ID: <' + uniqueName(Date.now()) + '@mountain>'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\n')}\nContent-Type: text/plain; charset=utf-8\n\n${body}`;
}

/** The messages of a Maildir folder (`new` or `cur`), with their content. */
export function folder(dir: string, sub: 'new' | 'cur'): { name: string; text: string }[] {
  try {
    return readdirSync(join(dir, sub)).map((name) => ({ name, text: readFileSync(join(dir, sub, name), 'utf8') }));
  } catch {
    return [];
  }
}

/** Polls until `condition` holds (or fails after `ms`). */
export async function until(condition: () => boolean, ms = 5000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A sink that refuses every submit while `refusing` is set (a busy catalog), recording what it accepts. */
export function refusingSink(): TriggerSink & { refusing: boolean; items: WorkItem[]; alerts: string[] } {
  const sink = {
    refusing: true,
    items: [] as WorkItem[],
    alerts: [] as string[],
    async submit(item: WorkItem) {
      if (sink.refusing) throw new Error('catalog is busy');
      sink.items.push(item);
    },
    alert: (alert: { code: string }) => void sink.alerts.push(alert.code),
  };
  return sink;
}
