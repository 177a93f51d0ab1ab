/**
 * Conformance tests of the optional `storedInstruments` method: a catalog stores the descriptions it is built with
 * (a new version only when one changed) and, reopened without them, still knows their keyword columns. Internal to
 * src/testing.
 *
 * @module
 */
import { archived, archiveIdOf, CONFORMANCE_INSTRUMENTS } from './_catalog-fixtures.js';
import type { DefineTest } from './_catalog-fixtures.js';

export function instrumentTests(define: DefineTest): void {
  define('storedInstruments: the descriptions the catalog was built with, version 1 each', async ({ catalog, expect }) => {
    if (!catalog.storedInstruments) return; // optional method: nothing to check
    await catalog.init();
    const stored = await catalog.storedInstruments();
    expect(stored.map((s) => [s.name, s.version])).toEqual([
      ['Other-Cam', 1],
      ['TESTCAM', 1],
    ]);
    expect(stored.find((s) => s.name === 'TESTCAM')!.description).toEqual(CONFORMANCE_INSTRUMENTS[0]);
  });

  define('findArchived: an instrument is found by a stored alias or another case of its name', async ({ catalog, expect }) => {
    if (!catalog.storedInstruments) return;
    await archived(catalog, 1);
    const ids = async (instrument: string) => (await catalog.findArchived({ instrument })).map((f) => f.archiveId);
    expect(await ids('TESTCAM')).toEqual([archiveIdOf(1)]);
    expect(await ids('testcam')).toEqual([archiveIdOf(1)]);
    expect(await ids('Test Camera')).toEqual([archiveIdOf(1)]);
    expect(await ids('Other-Cam')).toEqual([]);
  });

  define('storedInstruments: reopened without instruments, keyword columns still query; a change is a new version', async (h) => {
    if (!h.catalog.storedInstruments) return;
    await archived(h.catalog, 1);
    const bare = await h.open(undefined, []);
    const found = await bare.findArchived({ instrument: 'TESTCAM', where: [{ column: 'object', op: '=', value: 'M31' }] });
    h.expect(found.map((f) => f.archiveId)).toEqual([archiveIdOf(1)]);
    const changed = [{ ...CONFORMANCE_INSTRUMENTS[0]!, keywordTable: [...CONFORMANCE_INSTRUMENTS[0]!.keywordTable, { column: 'seeing', type: 'real' as const }] }];
    const again = await h.open(undefined, changed);
    const versions = (await again.storedInstruments!({ allVersions: true })).filter((s) => s.name === 'TESTCAM').map((s) => s.version);
    h.expect(versions).toEqual([1, 2]);
    h.expect((await again.storedInstruments!()).find((s) => s.name === 'TESTCAM')!.version).toBe(2);
  }, 'durable');
}
