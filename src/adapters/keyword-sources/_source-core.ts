/**
 * What every keyword source keeps: its connection state and the listeners of that state, the subscriptions
 * (key → listeners), and the last value received per key. Internal to src/adapters/keyword-sources.
 *
 * @module
 */
import type { IngestError } from '../../core/errors.js';
import type {
  KeywordListener,
  KeywordMessage,
  KeywordSourceState,
  Unsubscribe,
} from '../../core/ports/keyword-source.js';

/** State, subscriptions and last values of one source. */
export class SourceCore {
  #state: KeywordSourceState = 'connecting';
  readonly #stateListeners = new Set<(state: KeywordSourceState) => void>();
  readonly #listeners = new Map<string, Set<KeywordListener>>();
  readonly #last = new Map<string, KeywordMessage>();
  /** Called with the keys nobody was subscribed to before (to subscribe to them on the wire). */
  readonly #onNewKeys: (keys: string[]) => void;

  constructor(onNewKeys: (keys: string[]) => void = () => {}) {
    this.#onNewKeys = onNewKeys;
  }

  get state(): KeywordSourceState {
    return this.#state;
  }

  /** Moves to `state` and tells the listeners, unless it is already there or closed (final). */
  setState(state: KeywordSourceState): void {
    if (this.#state === state || this.#state === 'closed') return;
    this.#state = state;
    for (const listener of [...this.#stateListeners]) {
      try {
        listener(state);
      } catch {
        // A failing listener cannot break the source.
      }
    }
  }

  onStateChange(listener: (state: KeywordSourceState) => void): Unsubscribe {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  subscribe(keys: readonly string[], listener: KeywordListener): Unsubscribe {
    const fresh: string[] = [];
    for (const key of new Set(keys)) {
      let set = this.#listeners.get(key);
      if (!set) {
        set = new Set();
        this.#listeners.set(key, set);
        fresh.push(key);
      }
      set.add(listener);
    }
    if (fresh.length > 0) this.#onNewKeys(fresh);
    return () => {
      for (const key of keys) this.#listeners.get(key)?.delete(listener);
    };
  }

  /** True when someone subscribed to exactly `key`. */
  has(key: string): boolean {
    return this.#listeners.has(key);
  }

  /** Every key someone subscribed to. */
  keys(): string[] {
    return [...this.#listeners.keys()];
  }

  /** Remembers `message` as the key's last value and hands it to the key's listeners. */
  deliver(message: KeywordMessage): void {
    if (this.#state === 'closed') return;
    const previous = this.#last.get(message.key);
    if (!message.initial || !previous || previous.time <= message.time) {
      this.#last.set(message.key, { key: message.key, value: message.value, time: message.time });
    }
    for (const listener of [...(this.#listeners.get(message.key) ?? [])]) {
      try {
        listener.message(message);
      } catch {
        // A failing listener cannot break the source (the trigger reports its own problems).
      }
    }
  }

  /** Reports an unreadable message to the listeners of `key` (all listeners when the key is unknown). */
  problem(error: IngestError, key?: string): void {
    const sets = key !== undefined && this.#listeners.has(key) ? [this.#listeners.get(key)!] : [...this.#listeners.values()];
    for (const listener of new Set(sets.flatMap((set) => [...set]))) {
      try {
        listener.problem?.(error);
      } catch {
        // ignored, as above
      }
    }
  }

  /** The last value received for `key`. */
  last(key: string): KeywordMessage | undefined {
    return this.#last.get(key);
  }
}
