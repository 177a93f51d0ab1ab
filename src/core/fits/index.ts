export { BLOCK, CARD, CARDS_PER_BLOCK, padToBlock } from './_bytes.js';
export * from './header-card.js';
export * from './card-format.js';
export * from './header.js';
export * from './hdu-layout.js';
export * from './hdu-stream.js';
export * from './walk.js';
export { createHeader, encodeHdu, concatBytes, type NewHeaderOptions } from './build.js';
export * from './random-access.js';
