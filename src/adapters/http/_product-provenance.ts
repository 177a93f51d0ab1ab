/**
 * The provenance a pipeline declares with a product in `POST /v1/products` (roles of its parents, pipeline,
 * parameters), checked and put in the form the engine carries to the product's header and the catalog. Internal
 * to src/adapters/http.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { Provenance } from '../../core/normalize/product-provenance.js';
import type { ProductsRequest } from './protocol.js';

type Declared = Pick<ProductsRequest['products'][number], 'name' | 'parents' | 'roles' | 'pipeline' | 'parameters'>;

/**
 * Refuses roles given for archive ids that are not among the product's parents.
 *
 * @throws IngestError BAD_REQUEST
 */
export function checkRoles(product: Declared): void {
  const strangers = Object.keys(product.roles ?? {}).filter((id) => !product.parents.includes(id));
  if (strangers.length > 0) {
    throw new IngestError('BAD_REQUEST', `product ${product.name} gives roles for ${strangers.join(', ')}, which are not among its parents; list every parent in "parents"`, {
      context: { file: product.name, field: 'roles' },
    });
  }
}

/** `{ provenance }` when the product declares any (roles, pipeline or parameters), else `{}`. */
export function declaredProvenance(product: Partial<Declared> & Pick<Declared, 'parents'>): { provenance?: Provenance } {
  if (product.roles === undefined && product.pipeline === undefined && product.parameters === undefined) return {};
  return {
    provenance: {
      parents: product.parents.map((archiveId) => ({ archiveId, role: product.roles?.[archiveId] ?? null })),
      pipeline: product.pipeline ?? null,
      parameters: product.parameters ?? {},
    },
  };
}
