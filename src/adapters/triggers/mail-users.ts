/**
 * The SMTP users table: user name → password, stored plain or as an scrypt hash (`scrypt$<salt hex>$<hash hex>`,
 * made by {@link hashMailPassword} or `fits-ingest mail hash-password`), given inline or as a file of
 * `user:password-or-hash` lines. Internal to src/adapters/triggers.
 *
 * @module
 */
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { IngestError, toIngestError } from '../../core/errors.js';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;
const KEY_LENGTH = 32;

/** An scrypt hash of `password` for a users table. */
export async function hashMailPassword(password: string): Promise<string> {
  if (password === '') throw new IngestError('INVALID_OPTIONS', 'an empty password cannot be hashed', { context: { field: 'password' } });
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH);
  return `scrypt$${salt.toString('hex')}$${hash.toString('hex')}`;
}

/** True when `password` matches the stored entry (plain or scrypt hash); constant time for equal lengths. */
export async function checkMailPassword(stored: string, password: string): Promise<boolean> {
  const hashed = /^scrypt\$([0-9a-f]{32})\$([0-9a-f]{64})$/.exec(stored);
  if (hashed) {
    const actual = await scrypt(password, Buffer.from(hashed[1]!, 'hex'), KEY_LENGTH);
    return timingSafeEqual(actual, Buffer.from(hashed[2]!, 'hex'));
  }
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(stored), digest(password));
}

/** Reads a users file: `user:password-or-hash` per line; blank lines and `#` comments are ignored. */
export async function readUsersFile(path: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw toIngestError(error, { file: path, field: 'usersFile' });
  }
  const users: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon <= 0 || colon === line.length - 1) {
      throw new IngestError('INVALID_OPTIONS', `line ${index + 1} is not user:password`, { context: { file: path, field: 'usersFile' } });
    }
    users[line.slice(0, colon)] = line.slice(colon + 1);
  });
  return users;
}
