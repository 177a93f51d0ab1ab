/**
 * FITS checksums: the ones' complement sum (any chunking, any alignment, zero-copy for big files), the CHECKSUM
 * and DATASUM value formats, and the engines that do the adding.
 *
 * @module
 */
export * from './ones-complement.js';
export * from './encode.js';
export * from './engine.js';
export * from './hdu-checksums.js';
