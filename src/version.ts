/** The version of fits-ingest, written into archive headers (ingestion software version). */
export const VERSION = '0.1.0';
