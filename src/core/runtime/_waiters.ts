/**
 * The callers of `settled(ids)`: each waits until all its records are final, or until the engine halts.
 */
import { IngestError } from '../errors.js';
import type { FileRecord } from '../lifecycle/record.js';
import { isFinal } from '../lifecycle/states.js';
import type { Catalog } from '../ports/catalog.js';

/** The pending `settled` calls. */
export interface Waiters {
  /** Resolves with the records (as stored) once every one is final; rejects with `halted` if the engine halts. */
  settled(recordIds: readonly string[], halted: IngestError | undefined): Promise<FileRecord[]>;
  /** A record became final: the calls waiting for it are told. */
  notify(record: FileRecord): void;
  /** The engine halted: every pending call rejects with `error`. */
  failAll(error: IngestError): void;
  /**
   * Looks up the records waited for: another worker sharing the catalog may have finished them. `onFinal` sees
   * each final one first (the engine takes back copies of given-up records).
   */
  recheck(onFinal: (record: FileRecord) => void): Promise<void>;
}

interface Waiter {
  ids: Set<string>;
  done: (record: FileRecord) => void;
  fail: (error: IngestError) => void;
}

/** Creates the list of pending `settled` calls. */
export function createWaiters(catalog: Catalog): Waiters {
  const waiters = new Set<Waiter>();
  const notify = (record: FileRecord): void => {
    for (const w of waiters) if (w.ids.has(record.id)) w.done(record);
  };
  return {
    notify,
    failAll(error) {
      for (const w of [...waiters]) w.fail(error);
    },
    async recheck(onFinal) {
      const pending = new Set<string>();
      for (const w of waiters) for (const id of w.ids) pending.add(id);
      if (pending.size === 0) return;
      for (const record of await catalog.findRecords({ ids: [...pending], limit: pending.size })) {
        if (!isFinal(record.state)) continue;
        onFinal(record);
        notify(record);
      }
    },
    settled(recordIds, halted) {
      const pending = new Set(recordIds);
      let finished = false;
      return new Promise<FileRecord[]>((resolve, reject) => {
        const finish = (): void => {
          if (finished || pending.size > 0) return;
          finished = true;
          waiters.delete(entry);
          Promise.all(recordIds.map((id) => catalog.getRecord(id))).then((records) => resolve(records as FileRecord[]), reject);
        };
        const entry: Waiter = {
          ids: pending,
          done: (record) => {
            pending.delete(record.id);
            finish();
          },
          fail: (error) => {
            if (finished) return;
            finished = true;
            waiters.delete(entry);
            reject(error);
          },
        };
        if (halted) return reject(halted);
        waiters.add(entry);
        Promise.all(recordIds.map((id) => catalog.getRecord(id)))
          .then((records) => {
            records.forEach((r, i) => {
              if (r === undefined) throw new IngestError('NOT_FOUND', `no record ${recordIds[i]}`);
              if (isFinal(r.state)) pending.delete(r.id);
            });
            finish();
          })
          .catch((error: unknown) => {
            waiters.delete(entry);
            reject(error);
          });
      });
    },
  };
}
