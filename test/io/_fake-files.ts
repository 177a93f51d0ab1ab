/**
 * An injected file port for the byte pump's tests: positioned reads and writes that take a random share of what
 * they are asked (never none unless at the end), answer after a random number of event-loop turns (so reads in
 * flight complete out of order), and a hook to change the file between reads.
 */
import { createHash } from 'node:crypto';
import { onesComplementSum } from '../../src/core/checksum/ones-complement.js';
import { concat, extension, hdu, primary } from '../helpers/fits.js';

/** A seeded generator of numbers in [0, 1) (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Waits 0 to 2 turns of the event loop. */
async function jitter(random: () => number): Promise<void> {
  for (let turns = Math.floor(random() * 3); turns > 0; turns--) await new Promise((resolve) => setImmediate(resolve));
}

/** A share of `n` (1..n), whole half of the time. */
const share = (random: () => number, n: number): number => (random() < 0.5 ? n : 1 + Math.floor(random() * n));

/** A source file in memory whose reads come back short, late and out of order. */
export class FakeSource {
  reads = 0;
  /** Called with the read's number (0-based) before it is served: may change {@link bytes}. */
  onRead?: (n: number, file: FakeSource) => void;
  constructor(
    public bytes: Uint8Array,
    private readonly random: () => number,
  ) {}

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    this.onRead?.(this.reads++, this);
    await jitter(this.random);
    const available = Math.max(0, Math.min(length, this.bytes.length - position));
    const n = available === 0 ? 0 : share(this.random, available);
    buffer.set(this.bytes.subarray(position, position + n), offset);
    return { bytesRead: n };
  }
}

/** An output file in memory whose writes take a random share of their bytes, after a random delay. */
export class FakeOutput {
  bytes = new Uint8Array(0);
  /** When set, every write takes no bytes. */
  stuck = false;
  constructor(private readonly random: () => number) {}

  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    await jitter(this.random);
    if (this.stuck || length === 0) return { bytesWritten: 0 };
    const n = share(this.random, length);
    if (position + n > this.bytes.length) {
      const grown = new Uint8Array(position + n);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(buffer.subarray(offset, offset + n), position); // copied when the write is done, as a disk would
    return { bytesWritten: n };
  }
}

/** A FITS file of random bytes: a primary HDU and `extensions` IMAGE extensions of the given data sizes. */
export function randomFits(random: () => number, sizes: number[]): { bytes: Uint8Array; dataUnits: Uint8Array[] } {
  const [first = 0, ...rest] = sizes;
  const parts = [hdu(primary(first > 0 ? [first] : [], 8, ['EXTEND  =                    T']), first), ...rest.map((n) => hdu(extension('IMAGE', [n]), n))];
  const dataUnits: Uint8Array[] = [];
  for (const [i, part] of parts.entries()) {
    const size = sizes[i] ?? 0;
    const dataAt = part.length - Math.ceil(size / 2880) * 2880;
    for (let k = 0; k < size; k++) part[dataAt + k] = Math.floor(random() * 256);
    dataUnits.push(part.subarray(dataAt));
  }
  return { bytes: concat(...parts), dataUnits };
}

/** What every caller must find: computed in one go. */
export function reference(bytes: Uint8Array): { sha256: string; datasum: number } {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), datasum: onesComplementSum(bytes) };
}
