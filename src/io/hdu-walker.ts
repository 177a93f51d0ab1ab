/**
 * The FITS observer of the byte pump: walks the HDUs of the bytes going by and sums each one (header sum and
 * DATASUM), calling back at each HDU's end. Internal to src/io.
 *
 * @module
 */
import { HduChecksummer, type HduSumResult } from '../core/checksum/hdu-checksums.js';
import type { ChecksumAccumulator } from '../core/checksum/ones-complement.js';
import { HduStreamParser, type FitsWarning, type HduStreamOptions } from '../core/fits/hdu-stream.js';
import type { PumpObserver } from './byte-pump.js';

/** Options for {@link hduWalker}. */
export interface HduWalkerOptions extends HduStreamOptions {
  /** The accumulator the data sums go through (lend its scratch views to the pump to sum without a copy). */
  accumulator?: ChecksumAccumulator;
  /** Called when an HDU's data unit is complete, with its sums. */
  onHdu?: (sums: HduSumResult) => void;
}

/** A pump observer that walks and sums HDUs; call {@link HduWalker.end} after the pump. */
export interface HduWalker extends PumpObserver {
  /** The checksummer (its `scratch()` lends read buffers in the accumulator's memory). */
  readonly checksummer: HduChecksummer;
  /** Tolerated problems found so far. */
  readonly warnings: FitsWarning[];
  /** Ends the stream (throws if it stopped inside an HDU) and returns every HDU's sums. */
  end(): HduSumResult[];
}

/** A new {@link HduWalker}. */
export function hduWalker(options: HduWalkerOptions = {}): HduWalker {
  const { accumulator, onHdu, ...parserOptions } = options;
  const checksummer = new HduChecksummer(accumulator);
  const handler = onHdu
    ? {
        header: checksummer.header.bind(checksummer),
        data: checksummer.data.bind(checksummer),
        hduEnd: (hdu: Parameters<HduChecksummer['hduEnd']>[0]) => {
          checksummer.hduEnd(hdu);
          onHdu(checksummer.results.at(-1)!);
        },
      }
    : checksummer;
  const parser = new HduStreamParser(handler, parserOptions);
  return {
    checksummer,
    warnings: parser.warnings,
    update: (chunk) => parser.push(chunk),
    end() {
      parser.end();
      return checksummer.results;
    },
  };
}
