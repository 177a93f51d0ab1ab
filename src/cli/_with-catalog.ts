/** Opening the catalog a `--catalog` spec names for one command, and closing it after. */
import type { Catalog } from '../core/ports/catalog.js';
import type { InstrumentDescription } from '../core/instruments/schema.js';

/**
 * Runs `use` with the catalog a `--catalog` spec names, then closes it. The catalog knows the shipped instruments,
 * `generic`, the descriptions of `instrumentPaths` (`--instruments`), and every description stored in it by earlier
 * commands; `use` also receives all of them (given ones first), for resolving names and aliases.
 */
export async function withCatalog<T>(
  spec: string,
  use: (catalog: Catalog, instruments: readonly InstrumentDescription[]) => Promise<T>,
  instrumentPaths: readonly string[] = [],
): Promise<T> {
  const { catalogInstruments, loadInstruments, openCatalog } = await import('./_setup.js');
  const { builtinInstrument } = await import('../instruments/builtin/index.js');
  const instruments = [...(await loadInstruments(instrumentPaths)), builtinInstrument('generic')];
  const catalog = openCatalog(spec, instruments);
  await catalog.init();
  try {
    return await use(catalog, await catalogInstruments(catalog, instruments));
  } finally {
    await catalog.close();
  }
}
