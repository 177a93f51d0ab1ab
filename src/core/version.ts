/**
 * The version of fits-ingest, written into archive headers (DQA_VERS, the ingestion software version), the CLI's
 * `--version`, the HTTP health answer and the user agent. It is package.json's "version", put in at build time by
 * tsup (and by vitest when the tests run the sources); no file is read at run time, so the core stays free of I/O.
 *
 * @module
 */

declare const __FITS_INGEST_VERSION__: string | undefined;

/** package.json's version, or `0.0.0-source` when the sources run unbuilt and undefined (e.g. under plain tsx). */
export const VERSION: string = typeof __FITS_INGEST_VERSION__ === 'string' ? __FITS_INGEST_VERSION__ : '0.0.0-source';
