/**
 * fits-ingest: move astronomical FITS data from the instrument to the archive, file by file, verified.
 *
 * @packageDocumentation
 */
export * from './core/errors.js';
export * from './core/fits/index.js';
export * from './core/checksum/index.js';
export * from './core/lifecycle/index.js';
export * from './core/ports/index.js';
export * from './core/normalize/index.js';
export * from './core/runtime/index.js';
export * from './ingestor.js';
export * from './io/index.js';
export * from './instruments/index.js';
