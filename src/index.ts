/**
 * fits-ingest: move astronomical FITS data from the instrument to the archive, file by file, verified.
 *
 * @packageDocumentation
 */
export * from './core/errors.js';
