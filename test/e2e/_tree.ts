/** Shared by the crash tests: the files under a directory, and SHA-256 of bytes. */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every regular file under `root`, recursively. */
export function listAll(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Lower-case hex SHA-256 of `bytes`. */
export const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
