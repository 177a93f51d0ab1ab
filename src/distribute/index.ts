/**
 * Distribution packages (`fits-ingest/distribute`): plan a program's package from the catalog and write it to a
 * folder or to tar volumes, with thumbnails, header listings, a manifest and a browsable index.html.
 * See docs/distribution.md.
 *
 * @module
 */
export * from '../core/distribute/index.js';
export { writeDistribution, type DistributionResult, type WriteDistributionOptions } from './write-distribution.js';
