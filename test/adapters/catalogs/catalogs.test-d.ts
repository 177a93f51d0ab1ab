import * as vitest from 'vitest';
import { expectTypeOf, test } from 'vitest';
import { createMemoryCatalog, type MemoryCatalogOptions } from '../../../src/adapters/catalogs/memory.js';
import { createPostgresCatalog, type PostgresCatalogOptions } from '../../../src/adapters/catalogs/postgres.js';
import { createSqliteCatalog, type SqliteCatalogOptions } from '../../../src/adapters/catalogs/sqlite.js';
import type { Catalog, CompleteCatalog } from '../../../src/core/ports/catalog.js';
import type { InstrumentDescription } from '../../../src/core/instruments/schema.js';
import { catalogConformance, type ConformanceTestApi } from '../../../src/testing/index.js';

test('options: only path is required for SQLite, nothing for memory', () => {
  expectTypeOf<{ path: 'catalog.db' }>().toExtend<SqliteCatalogOptions>();
  expectTypeOf<{ busyTimeoutMs: 10 }>().not.toExtend<SqliteCatalogOptions>();
  expectTypeOf<{}>().toExtend<MemoryCatalogOptions>();
  expectTypeOf<{}>().toExtend<PostgresCatalogOptions>();
  expectTypeOf<{ connectionString: 'postgres://u@h/db'; maxConnections: 4 }>().toExtend<PostgresCatalogOptions>();
  expectTypeOf<{ path: 'catalog.db' }>().not.toExtend<PostgresCatalogOptions>();
  expectTypeOf<SqliteCatalogOptions['synchronous']>().toEqualTypeOf<'full' | 'normal' | undefined>();
});

test('instrument descriptions can be passed as they are', () => {
  expectTypeOf<InstrumentDescription[]>().toExtend<NonNullable<SqliteCatalogOptions['instruments']>>();
  expectTypeOf<InstrumentDescription[]>().toExtend<NonNullable<MemoryCatalogOptions['instruments']>>();
  expectTypeOf<InstrumentDescription[]>().toExtend<NonNullable<PostgresCatalogOptions['instruments']>>();
});

test('the factories return the Catalog port, with every optional method', () => {
  expectTypeOf(createSqliteCatalog).returns.toEqualTypeOf<CompleteCatalog>();
  expectTypeOf(createMemoryCatalog).returns.toEqualTypeOf<CompleteCatalog>();
  expectTypeOf(createPostgresCatalog).returns.toEqualTypeOf<CompleteCatalog>();
  expectTypeOf(createSqliteCatalog).returns.toExtend<Catalog>();
});

test("the conformance suite takes vitest's module as it is", () => {
  expectTypeOf(vitest).toExtend<ConformanceTestApi>();
  expectTypeOf(catalogConformance).parameter(1).returns.toExtend<Catalog | Promise<Catalog>>();
});
