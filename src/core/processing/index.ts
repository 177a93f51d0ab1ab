export * from './calibration-set.js';
export * from './validity.js';
export * from './request.js';
export * from './queue.js';
export * from './provenance.js';
export * from './delivery.js';
export * from './throttle.js';
export * from './quicklook.js';
