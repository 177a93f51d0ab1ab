export * from './fits-file.js';
export * from './checksum-file.js';
export * from './checksum-write.js';
export { recoverJournal, journalPath } from './checksum-journal.js';
export * from './node-files.js';
export * from './system-clock.js';
export * from './foreign-file.js';
