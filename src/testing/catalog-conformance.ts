/**
 * The conformance suite of the Catalog port: every catalog adapter (ours or a third party's) runs it in a few
 * lines. It brings no test framework of its own: pass `it` and `expect` (vitest's module object works as is;
 * jest's globals too). Tests that need a capability (`durable`, `shared`) are skipped on catalogs without it.
 *
 * @example
 * ```ts
 * import * as vitest from 'vitest';
 * import { catalogConformance } from 'fits-ingest/testing';
 * catalogConformance(vitest, ({ key, instruments }) => createSqliteCatalog({ path: join(dir, `${key}.db`), instruments }));
 * ```
 *
 * @module
 */
import { STATES } from '../core/lifecycle/states.js';
import type { CatalogInstrument, CompleteCatalog } from '../core/ports/catalog.js';
import { CONFORMANCE_INSTRUMENTS, rejection, type ConformanceTestApi, type DefineTest } from './_catalog-fixtures.js';
import { archiveTests } from './_catalog-archive-tests.js';
import { claimTests } from './_catalog-claim-tests.js';
import { recordTests } from './_catalog-record-tests.js';
import { instrumentTests } from './_catalog-instrument-tests.js';
import { eventTests } from './_catalog-event-tests.js';
import { guardTests } from './_catalog-guard-tests.js';
import { provenanceTests } from './_catalog-provenance-tests.js';

export { CONFORMANCE_INSTRUMENTS } from './_catalog-fixtures.js';
export type { ConformanceAssertion, ConformanceHarness, ConformanceTestApi, ConformanceTestBody, DefineTest } from './_catalog-fixtures.js';



/** What the suite passes to `makeCatalog`. */
export interface CatalogConformanceSetup {
  /** Identifies the storage: the same key means the same storage (reopen, sharing); every test uses new keys. */
  key: string;
  /** Instruments whose keyword tables the catalog must know ({@link CONFORMANCE_INSTRUMENTS}). */
  instruments: CatalogInstrument[];
}

/** Options of {@link catalogConformance}. */
export interface CatalogConformanceOptions {
  /**
   * Names of tests to skip (as registered, without the describe title).
   * @default []
   */
  skip?: string[];
  /**
   * Title of the describe block, when `describe` is given.
   * @default 'Catalog conformance'
   */
  title?: string;
}

/**
 * Makes a catalog for one test (not yet initialized: the suite calls `init`). The suite checks the whole port, so
 * the catalog has the optional methods the core could otherwise do without (`release`, `addLocation`,
 * `importArchived`: a {@link CompleteCatalog}).
 */
export type MakeCatalog = (setup: CatalogConformanceSetup) => CompleteCatalog | Promise<CompleteCatalog>;

const runId = Math.random().toString(36).slice(2, 8);
let keys = 0;

/**
 * Registers the catalog conformance tests with `test.it` (inside `test.describe` when given).
 *
 * @param makeCatalog makes a catalog on the storage named by `setup.key`, built with `setup.instruments`
 */
export function catalogConformance(test: ConformanceTestApi, makeCatalog: MakeCatalog, options: CatalogConformanceOptions = {}): void {
  const skip = new Set(options.skip ?? []);
  const define: DefineTest = (name, body, needs) => {
    if (skip.has(name)) return;
    test.it(name, async (context) => {
      const key = `conformance-${runId}-${++keys}`;
      const opened: CompleteCatalog[] = [];
      const open = async (on = key, instruments = CONFORMANCE_INSTRUMENTS): Promise<CompleteCatalog> => {
        const catalog = await makeCatalog({ key: on, instruments });
        opened.push(catalog);
        await catalog.init();
        return catalog;
      };
      try {
        const catalog = await open();
        if (needs && !catalog.capabilities[needs]) {
          context?.skip?.(`the catalog is not ${needs}`);
          return;
        }
        await body({ expect: test.expect, catalog, open });
      } finally {
        for (const catalog of opened) await catalog.close();
      }
    });
  };
  const register = (): void => {
    lifecycleTests(define);
    recordTests(define);
    claimTests(define);
    archiveTests(define);
    instrumentTests(define);
    eventTests(define);
    guardTests(define);
    provenanceTests(define);
  };
  if (test.describe) test.describe(options.title ?? 'Catalog conformance', register);
  else register();
}

function lifecycleTests(define: DefineTest): void {
  define('init is idempotent', async ({ catalog, expect }) => {
    await catalog.init();
    expect(await catalog.findRecords({})).toEqual([]);
  });

  define('declares its name and capabilities', async ({ catalog, expect }) => {
    expect(typeof catalog.name).toBe('string');
    expect(typeof catalog.capabilities.durable).toBe('boolean');
    expect(typeof catalog.capabilities.shared).toBe('boolean');
  });

  define('use after close is CATALOG_NOT_OPEN; closing twice is harmless', async ({ catalog, expect }) => {
    await catalog.close();
    await catalog.close();
    expect(await rejection(() => catalog.getRecord('rec-1'))).toBe('CATALOG_NOT_OPEN');
    expect(await rejection(() => catalog.counts())).toBe('CATALOG_NOT_OPEN');
  });

  define('counts has a key for every state', async ({ catalog, expect }) => {
    expect(await catalog.counts()).toEqual(Object.fromEntries(STATES.map((s) => [s, 0])));
  });
}
