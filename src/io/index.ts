export * from './fits-file.js';
