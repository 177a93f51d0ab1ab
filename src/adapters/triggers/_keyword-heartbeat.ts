/**
 * Heartbeat keys of the keyword monitor: each must change within its `staleAfterMs`, or `onStale` is called —
 * once per silence; the next change re-arms it. Internal to src/adapters/triggers.
 *
 * @module
 */

/** One heartbeat key. */
export interface HeartbeatSpec {
  key: string;
  staleAfterMs: number;
}

/** Timers for a set of heartbeat keys. */
export class Heartbeats {
  readonly #specs: Map<string, HeartbeatSpec>;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #onStale: (spec: HeartbeatSpec) => void;
  #stopped = false;

  constructor(specs: readonly HeartbeatSpec[], onStale: (spec: HeartbeatSpec) => void) {
    this.#specs = new Map(specs.map((spec) => [spec.key, spec]));
    this.#onStale = onStale;
  }

  /** The heartbeat keys. */
  get keys(): string[] {
    return [...this.#specs.keys()];
  }

  /** Starts every timer. */
  start(): void {
    for (const key of this.#specs.keys()) this.#arm(key);
  }

  /** True when `key` is a heartbeat; then its timer starts again. */
  beat(key: string): boolean {
    if (!this.#specs.has(key)) return false;
    this.#arm(key);
    return true;
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #arm(key: string): void {
    const spec = this.#specs.get(key)!;
    if (this.#stopped) return;
    clearTimeout(this.#timers.get(key));
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        if (!this.#stopped) this.#onStale(spec);
      }, spec.staleAfterMs),
    );
  }
}
