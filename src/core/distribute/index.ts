/**
 * Distribution packages, the pure part: planning (program frames, associated calibrations, attachments,
 * products), pixel decoding, zscale thumbnails, split-format headers, the manifest and the index page.
 *
 * @module
 */
export * from './plan.js';
export * from './pixels.js';
export * from './zscale.js';
export * from './thumbnail.js';
export * from './split.js';
export * from './manifest.js';
export * from './index-html.js';
export * from './weather.js';
