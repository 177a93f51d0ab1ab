/**
 * Read buffers reused between files: allocating fresh megabyte buffers for every file read keeps the garbage
 * collector busy. Whoever takes a buffer gives it back only once no read or write still uses it. Internal to src/io.
 *
 * @module
 */

/** Idle buffers kept per size, up to a total. */
export class BufferPool {
  readonly #free = new Map<number, Buffer[]>();
  #held = 0;

  /** @param maxIdle Most bytes kept idle (buffers given back beyond it are left to the garbage collector). */
  constructor(private readonly maxIdle = 64 * 1024 * 1024) {}

  /** A buffer of exactly `size` bytes (contents undefined). */
  take(size: number): Buffer {
    const buffer = this.#free.get(size)?.pop();
    if (buffer) {
      this.#held -= size;
      return buffer;
    }
    return Buffer.allocUnsafeSlow(size);
  }

  /** Gives `buffer` back for a later {@link take}. */
  give(buffer: Buffer): void {
    if (this.#held + buffer.length > this.maxIdle) return;
    const list = this.#free.get(buffer.length) ?? [];
    list.push(buffer);
    this.#free.set(buffer.length, list);
    this.#held += buffer.length;
  }
}

/** The pool shared by the file port's reader and the byte pump. */
export const sharedBuffers = new BufferPool();
