/**
 * Conformance tests of products' provenance in the archive index: parents with roles, pipeline and parameters are
 * kept with the archived file as given, and a file without provenance has none. Internal to src/testing.
 *
 * @module
 */
import type { Provenance } from '../core/normalize/product-provenance.js';
import { archived, archiveIdOf } from './_catalog-fixtures.js';
import type { DefineTest } from './_catalog-fixtures.js';

export function provenanceTests(define: DefineTest): void {
  define("an archived product keeps its provenance (parents with roles, pipeline, parameters); a raw frame has none", async ({ catalog, expect }) => {
    const { file: raw } = await archived(catalog, 1);
    const provenance: Provenance = {
      parents: [
        { archiveId: raw.archiveId, role: 'science' },
        { archiveId: archiveIdOf(9), role: 'bias' },
        { archiveId: archiveIdOf(8), role: null },
      ],
      pipeline: { name: 'KCWI_DRP', version: '1.2.3' },
      parameters: { sigma: 3.5, method: 'median', crr: true, mask: null },
    };
    const { file: product } = await archived(catalog, 2, () => ({ level: 2, parents: [raw.archiveId, archiveIdOf(9), archiveIdOf(8)], provenance }));
    expect((await catalog.getArchived(product.archiveId))!.provenance).toEqual(provenance);
    expect((await catalog.findArchived({ parent: raw.archiveId })).map((f) => f.provenance)).toEqual([provenance]);
    expect((await catalog.getArchived(raw.archiveId))!.provenance).toBeUndefined();
  });
}
