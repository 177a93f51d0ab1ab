/**
 * Where a scrub pass stands, kept across runs and restarts: the last archive id fully checked, the pass number
 * and when the pass began. Stored as a small JSON file replaced atomically (written to a temp name, flushed,
 * renamed), so a crash leaves the previous cursor, never a torn one. Internal to src/scrub.
 *
 * @module
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { IngestError, isIngestError, toIngestError } from '../core/errors.js';
import { syncDirectory } from '../io/durable-fs.js';

/** The cursor's file name in the archive root (`scrub --archive`, the background scrub, the monitor). */
export const SCRUB_CURSOR_FILE = '.scrub-cursor.json';

/** A scrub's position. */
export interface ScrubCursor {
  /** Passes completed so far. */
  pass: number;
  /** Every archive id up to and including this one was checked in the current pass ('' = none yet). */
  after: string;
  /** When the current pass began (epoch ms). */
  passStartedAt: number;
  /** When the cursor was last saved (epoch ms). */
  savedAt: number;
}

/** Loads and saves a {@link ScrubCursor}. */
export interface CursorStore {
  load(): Promise<ScrubCursor | undefined>;
  save(cursor: ScrubCursor): Promise<void>;
}

const cursorSchema = z.object({ pass: z.int().nonnegative(), after: z.string(), passStartedAt: z.number(), savedAt: z.number() });

/** Keeps the cursor in memory only (a scrub that restarts from the beginning each run). */
export function memoryCursor(initial?: ScrubCursor): CursorStore {
  let cursor = initial && { ...initial };
  return { load: async () => cursor && { ...cursor }, save: async (c) => void (cursor = { ...c }) };
}

/** Keeps the cursor in the JSON file `path`, replaced atomically at each save. */
export function fileCursor(path: string): CursorStore {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        const wrapped = toIngestError(error, { file: path });
        if (isIngestError(wrapped, 'FILE_NOT_FOUND')) return undefined;
        throw wrapped;
      }
      const parsed = cursorSchema.safeParse((() => { try { return JSON.parse(text) as unknown; } catch { return undefined; } })());
      if (!parsed.success) {
        throw new IngestError('INVALID_OPTIONS', `the scrub cursor ${path} is damaged`, {
          context: { file: path, field: 'cursor' },
          hint: 'remove the file: the next scrub starts a new pass from the first archived file',
        });
      }
      return parsed.data;
    },
    async save(cursor) {
      const temp = `${path}.tmp`;
      try {
        await mkdir(dirname(path), { recursive: true });
        const handle = await open(temp, 'w');
        try {
          await handle.writeFile(`${JSON.stringify(cursor)}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temp, path);
        await syncDirectory(dirname(path));
      } catch (error) {
        throw toIngestError(error, { file: path });
      }
    },
  };
}
