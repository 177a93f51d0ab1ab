/**
 * KeywordSource port: a control system's keywords (Keck's KTL/mKTL, EPICS channels, a site's own publisher) as
 * a stream of `{ key, value, time }` messages. The keyword-monitor trigger reads announcements of new files from
 * it; adapters carry it over ZeroMQ publish/subscribe or in memory.
 *
 * @module
 */
import type { IngestError } from '../errors.js';

/** A keyword value as published: JSON scalars. */
export type KeywordValue = string | number | boolean | null;

/** One value of one key. */
export interface KeywordMessage {
  /** Dot-separated key, e.g. `kcwi.kbds.LASTFILE`. */
  key: string;
  value: KeywordValue;
  /** When the publisher set the value (epoch ms). */
  time: number;
  /**
   * True for the current value a source delivers once when a subscription starts and after each reconnection
   * (KTL's priming broadcast): the state at (re)connect, not a change.
   */
  initial?: boolean;
}

/** Receives the messages of a subscription. */
export interface KeywordListener {
  message(message: KeywordMessage): void;
  /** A message that could not be read (bad JSON, a payload without value); it is dropped after this call. */
  problem?(error: IngestError): void;
}

/**
 * - `connecting`: not connected yet, or reconnecting by itself.
 * - `connected`: messages flow.
 * - `disconnected`: the connection was lost (a source without `reconnects` stays here until `connect()`).
 * - `closed`: after `close()`; final.
 */
export type KeywordSourceState = 'connecting' | 'connected' | 'disconnected' | 'closed';

/** What a source can do; callers branch on these, never on names. */
export interface KeywordSourceCapabilities {
  /**
   * Delivers the current value of every subscribed key, flagged `initial`, after each (re)connection — all
   * together, in subscription order — and to each new subscription.
   */
  primes: boolean;
  /** `get()` asks the publisher (a request/reply channel); otherwise it returns the last value received. */
  requestReply: boolean;
  /** Re-establishes a lost connection by itself (with its own backoff); otherwise the caller calls `connect()`. */
  reconnects: boolean;
}

/** Call to stop listening. */
export type Unsubscribe = () => void;

/** A source of keyword values. */
export interface KeywordSource {
  readonly name: string;
  readonly capabilities: KeywordSourceCapabilities;
  readonly state: KeywordSourceState;
  /**
   * Opens the connection, or opens it again after a loss. Resolves once connected, or — for a source that
   * `reconnects` — once it is trying by itself. Rejects with KEYWORD_SOURCE_UNAVAILABLE when the publisher
   * cannot be reached now (call again later), or DEPENDENCY_MISSING. Idempotent while connected.
   */
  connect(): Promise<void>;
  /** Delivers every later message of `keys` (exact keys) to `listener`, including `initial` ones. */
  subscribe(keys: readonly string[], listener: KeywordListener): Unsubscribe;
  /** The current value of `key`, or undefined when it has none. Rejects KEYWORD_SOURCE_UNAVAILABLE. */
  get(key: string): Promise<KeywordMessage | undefined>;
  /** Calls `listener` on every change of `state`. */
  onStateChange(listener: (state: KeywordSourceState) => void): Unsubscribe;
  /** Closes the connection for good. Idempotent. */
  close(): Promise<void>;
}
