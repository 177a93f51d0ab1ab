import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MEDIA_FORMAT } from '../../src/adapters/transports/media/_volume-index.js';
import { readMember } from '../../src/adapters/transports/media/_member-read.js';
import { VolumeSet } from '../../src/adapters/transports/media/_volume-set.js';
import { ChecksumAccumulator, onesComplementSum } from '../../src/core/checksum/ones-complement.js';
import { isIngestError, type IngestError } from '../../src/core/errors.js';
import { hashCopy } from '../../src/distribute/_files.js';
import { copyRange } from '../../src/io/_foreign-io.js';
import { hduWalker } from '../../src/io/hdu-walker.js';
import { fileSink, pump } from '../../src/io/byte-pump.js';
import { sumFile } from '../../src/io/checksum-file.js';
import { FakeOutput, FakeSource, randomFits, reference, seeded } from './_fake-files.js';

const dir = mkdtempSync(join(tmpdir(), 'byte-pump-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const asHandle = (fake: FakeSource | FakeOutput): FileHandle => fake as unknown as FileHandle;

/** Random bytes of a seeded generator. */
function randomBytes(random: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** Where the pump's result went wrong, or the error it threw. */
async function rejection(promise: Promise<unknown>): Promise<IngestError> {
  try {
    await promise;
  } catch (error) {
    if (isIngestError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const shape = fc.record({
  seed: fc.integer(),
  size: fc.integer({ min: 0, max: 30_000 }),
  chunkSize: fc.integer({ min: 1, max: 7000 }),
  ring: fc.integer({ min: 2, max: 6 }),
  readAhead: fc.integer({ min: 1, max: 6 }),
});

describe('pump', () => {
  it('gives every sink and observer the same bytes, SHA-256 and ones’ complement sum as a reference, whatever the chunking, short reads and short writes', async () => {
    await fc.assert(
      fc.asyncProperty(shape, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 3 }), async ({ seed, size, chunkSize, ring, readAhead }, a, b, sinkCount) => {
        const random = seeded(seed);
        const bytes = randomBytes(random, size);
        const start = size === 0 ? 0 : a % size;
        const length = size === 0 ? 0 : b % (size - start + 1);
        const want = bytes.subarray(start, start + length);
        const outs = Array.from({ length: sinkCount }, () => new FakeOutput(random));
        const at = Math.floor(random() * 100);
        const hash = createHash('sha256');
        const sum = new ChecksumAccumulator();
        const result = await pump(new FakeSource(bytes, random), {
          file: 'src',
          start,
          length,
          chunkSize,
          ring,
          readAhead,
          observers: [hash, sum],
          sinks: outs.map((o) => fileSink(o, at)),
          toEnd: start + length === size,
        });
        const ref = reference(want);
        expect(result.bytes).toBe(length);
        expect(hash.digest('hex')).toBe(ref.sha256);
        expect(sum.digest()).toBe(ref.datasum);
        for (const out of outs) expect(Buffer.from(out.bytes.subarray(at)).equals(want)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('walks the HDUs of any chunking: each DATASUM equals the sum of its data unit computed in one go, announced at each HDU end', async () => {
    await fc.assert(
      fc.asyncProperty(shape, fc.array(fc.integer({ min: 0, max: 9000 }), { minLength: 1, maxLength: 3 }), async ({ seed, chunkSize, ring, readAhead }, sizes) => {
        const random = seeded(seed);
        const { bytes, dataUnits } = randomFits(random, sizes);
        const announced: number[] = [];
        const walker = hduWalker({ file: 'f.fits', totalSize: bytes.length, onHdu: (s) => announced.push(s.datasum) });
        await pump(new FakeSource(bytes, random), { file: 'f.fits', length: bytes.length, toEnd: true, chunkSize, ring, readAhead, observers: [walker] });
        const sums = walker.end().map((r) => r.datasum);
        expect(sums).toEqual(dataUnits.map((d) => onesComplementSum(d)));
        expect(announced).toEqual(sums);
      }),
      { numRuns: 60 },
    );
  });

  it('a source that shrinks while it is read is SOURCE_CHANGED at the offset where a read found its end', async () => {
    await fc.assert(
      fc.asyncProperty(shape, fc.nat(), fc.nat(), async ({ seed, chunkSize, ring, readAhead }, cut, when) => {
        const random = seeded(seed);
        const bytes = randomBytes(random, 5000);
        const shrunk = cut % 5000;
        const source = new FakeSource(bytes, random);
        source.onRead = (n, file) => {
          if (n === when % 3) file.bytes = bytes.subarray(0, shrunk); // chunks of at most 2000 bytes: 3 reads at least
        };
        let seen = 0;
        const error = await rejection(
          pump(source, { file: 'src', length: 5000, chunkSize: Math.min(chunkSize, 2000), ring, readAhead, observers: [{ update: (c) => (seen += c.length) }] }),
        );
        expect(error.code).toBe('SOURCE_CHANGED');
        expect(error.context.file).toBe('src');
        const offset = error.context.offset!;
        // Reads served before the cut saw the old bytes, so the end is found at or after the new size; when the
        // file was cut before the first read, exactly there. Observers never see bytes past it.
        if (when % 3 === 0) expect(offset).toBe(shrunk);
        expect(offset).toBeGreaterThanOrEqual(shrunk);
        expect(offset).toBeLessThan(5000);
        expect(seen).toBeLessThanOrEqual(offset);
      }),
      { numRuns: 100 },
    );
  });

  it('a source that grows while it is read is SOURCE_CHANGED at its expected end when it should end there, and read up to the length otherwise', async () => {
    const random = seeded(7);
    const bytes = randomBytes(random, 20_000);
    const growing = () => {
      const source = new FakeSource(bytes, random);
      source.onRead = (n, file) => {
        if (n === 2) file.bytes = new Uint8Array([...bytes, 1, 2, 3]);
      };
      return source;
    };
    const error = await rejection(pump(growing(), { file: 'src', length: 20_000, chunkSize: 4096, toEnd: true }));
    expect(error.code).toBe('SOURCE_CHANGED');
    expect(error.context).toMatchObject({ file: 'src', offset: 20_000 });
    const hash = createHash('sha256');
    expect(await pump(growing(), { file: 'src', length: 20_000, chunkSize: 4096, observers: [hash] })).toEqual({ bytes: 20_000 });
    expect(hash.digest('hex')).toBe(reference(bytes).sha256);
  });

  it('a write that makes no progress is IO_ERROR naming the output and offset, and no read is left in flight', async () => {
    const random = seeded(3);
    const out = new FakeOutput(random);
    out.stuck = true;
    const source = new FakeSource(randomBytes(random, 10_000), random);
    const error = await rejection(pump(source, { file: 'src', length: 10_000, chunkSize: 1000, sinks: [fileSink(out, 50, 'out')] }));
    expect(error.code).toBe('IO_ERROR');
    expect(error.context).toMatchObject({ file: 'out', offset: 50 });
    const reads = source.reads;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(source.reads).toBe(reads);
  });

  it('stops with ABORTED at a chunk boundary when its signal fires', async () => {
    const random = seeded(5);
    const controller = new AbortController();
    let seen = 0;
    const observer = { update: (c: Uint8Array) => ((seen += c.length), seen >= 3000 && controller.abort()) };
    const error = await rejection(pump(new FakeSource(randomBytes(random, 10_000), random), { file: 'src', length: 10_000, chunkSize: 1000, observers: [observer], signal: controller.signal }));
    expect(error.code).toBe('ABORTED');
    expect(error.context).toMatchObject({ file: 'src', offset: 3000 });
  });
});

describe('callers of the pump', () => {
  it('copyRange (FOREIGN files) copies, sums and hashes exactly the range, through short reads and short writes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 0, max: 20_000 }), fc.nat(), async (seed, size, a) => {
        const random = seeded(seed);
        const bytes = randomBytes(random, size);
        const start = size === 0 ? 0 : a % size;
        const out = new FakeOutput(random);
        const copied = await copyRange(asHandle(new FakeSource(bytes, random)), start, size - start, asHandle(out), 2880, 'src');
        const ref = reference(bytes.subarray(start));
        expect(copied).toEqual({ bytes: size - start, datasum: ref.datasum, sha256: ref.sha256 });
        expect(Buffer.from(out.bytes.subarray(2880)).equals(bytes.subarray(start))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('readMember (media volumes) hashes, verifies every HDU and restores the member, through short reads and short writes; a volume cut inside it is TRUNCATED', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.array(fc.integer({ min: 0, max: 6000 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 3000 }), async (seed, sizes, offset) => {
        const random = seeded(seed);
        const { bytes: member, dataUnits } = randomFits(random, sizes);
        const volume = new Uint8Array(offset + member.length + 512);
        volume.set(member, offset);
        const entry = { serial: 1, member: 2, name: 'frame.fits', size: member.length, sha256: '0'.repeat(64), offset, headerOffset: 0 };
        const out = new FakeOutput(random);
        const read = await readMember(asHandle(new FakeSource(volume, random)), 'V1', entry, out);
        expect(read.sha256).toBe(reference(member).sha256);
        expect(read.hdus.map((h) => h.datasum)).toEqual(dataUnits.map((d) => onesComplementSum(d)));
        expect(Buffer.from(out.bytes).equals(member)).toBe(true);
        const chunks: Uint8Array[] = [];
        await readMember(asHandle(new FakeSource(volume, random)), 'V1', entry, async (c) => void chunks.push(Uint8Array.from(c)));
        expect(Buffer.concat(chunks).equals(member)).toBe(true);
        const cut = await rejection(readMember(asHandle(new FakeSource(volume.subarray(0, offset + member.length - 100), random)), 'V1', entry));
        expect(cut.code).toBe('TRUNCATED');
        expect(cut.context).toMatchObject({ file: 'V1', member: 2, serial: 1 });
        expect(cut.context.offset).toBeLessThanOrEqual(offset + member.length - 100);
      }),
      { numRuns: 30 },
    );
  });

  it('VolumeSet.appendFile writes the same bytes into every copy and returns their SHA-256, through short reads', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 0, max: 3_000_000 }), async (seed, size) => {
        const random = seeded(seed);
        const bytes = randomBytes(random, size);
        const label = { format: MEDIA_FORMAT, label: `T${String(++run).padStart(5, '0')}`, volume: 1, copy: 1, copies: 2, createdAt: '2026-01-01T00:00:00Z', firstSerial: 1 } as const;
        const set = await VolumeSet.create(label, [dir, join(dir)]);
        const at = set.size;
        const data = await set.appendFile(asHandle(new FakeSource(bytes, random)), size, 'src');
        await set.close();
        expect(data).toEqual({ size, sha256: reference(bytes).sha256 });
        expect(set.size % 512).toBe(0);
        const paths = set.finalPaths.map((p) => `${p}.partial`);
        for (const path of paths) {
          const written = readFileSync(path);
          expect(written.subarray(at, at + size).equals(bytes)).toBe(true);
          rmSync(path);
        }
      }),
      { numRuns: 8 },
    );
    const set = await VolumeSet.create({ format: MEDIA_FORMAT, label: 'G00001', volume: 1, copy: 1, copies: 1, createdAt: '2026-01-01T00:00:00Z', firstSerial: 1 }, [dir]);
    const bytes = randomBytes(seeded(9), 3_000_000);
    const source = new FakeSource(bytes, seeded(9));
    source.onRead = (n, file) => {
      if (n === 1) file.bytes = new Uint8Array([...bytes, 0]);
    };
    const grew = await rejection(set.appendFile(asHandle(source), bytes.length, 'grows.fits'));
    await set.close();
    expect(grew.code).toBe('SOURCE_CHANGED');
    expect(grew.context).toMatchObject({ file: 'grows.fits', offset: 3_000_000 });
  });

  it('sumFile and hashCopy (real files) give the reference SHA-256 and DATASUMs at any chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.array(fc.integer({ min: 0, max: 9000 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 20_000 }), async (seed, sizes, chunkSize) => {
        const random = seeded(seed);
        const { bytes, dataUnits } = randomFits(random, sizes);
        const path = join(dir, 'sum.fits');
        writeFileSync(path, bytes);
        const sums = await sumFile(path, { chunkSize, sha256: true });
        expect(sums.sha256).toBe(reference(bytes).sha256);
        expect(sums.size).toBe(bytes.length);
        expect(sums.hdus.map((h) => h.datasum)).toEqual(dataUnits.map((d) => onesComplementSum(d)));
        const copy = join(dir, 'copy', 'sum.fits');
        expect(await hashCopy(path, copy)).toEqual({ sha256: reference(bytes).sha256, size: bytes.length });
        expect(readFileSync(copy).equals(bytes)).toBe(true);
        const range = { start: 2880, end: bytes.length };
        expect(await hashCopy(path, undefined, range)).toEqual({ sha256: reference(bytes.subarray(2880)).sha256, size: bytes.length - 2880 });
      }),
      { numRuns: 25 },
    );
  });

  it('hashCopy of a range past the end of the file is SOURCE_CHANGED at the end, not a short digest', async () => {
    const path = join(dir, 'short.bin');
    writeFileSync(path, new Uint8Array(1000));
    const error = await rejection(hashCopy(path, undefined, { start: 0, end: 1500 }));
    expect(error.code).toBe('SOURCE_CHANGED');
    expect(error.context).toMatchObject({ file: path, offset: 1000 });
  });
});
