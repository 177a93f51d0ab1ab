/**
 * The wire format of the ZeroMQ keyword adapter, in the style of Keck's mKTL:
 *
 * - publish/subscribe: a two-frame message `[key, payload]`. The topic frame is the dot-separated key
 *   (`kcwi.kbds.LASTFILE`); the payload is UTF-8 JSON `{ "value": <scalar>, "time": <UNIX seconds> }` (time as
 *   Python's `time.time()`; when absent, the time of reception is used).
 * - request/reply (DEALER → ROUTER): one JSON frame `{ "request": "get", "id": "7", "key": "kcwi.kbds.LASTFILE" }`,
 *   answered by `{ "id": "7", "key": …, "value": …, "time": … }`, or without `value` when the key has none.
 *
 * Internal to src/adapters/keyword-sources.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { KeywordMessage, KeywordValue } from '../../core/ports/keyword-source.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

function isScalar(value: unknown): value is KeywordValue {
  return value === null || ['string', 'boolean'].includes(typeof value) || (typeof value === 'number' && Number.isFinite(value));
}

function badMessage(key: string, detail: string): IngestError {
  return new IngestError('KEYWORD_BAD_MESSAGE', `${key}: ${detail}`, { context: { key } });
}

function parseJson(bytes: Uint8Array, key: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    throw badMessage(key, 'the payload is not UTF-8 JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badMessage(key, 'the payload is not a JSON object');
  return parsed as Record<string, unknown>;
}

/** Reads `{ value, time }` for `key`; `now` (epoch ms) stands in for a missing time. Throws KEYWORD_BAD_MESSAGE. */
function messageOf(body: Record<string, unknown>, key: string, now: number): KeywordMessage {
  if (!('value' in body) || !isScalar(body['value'])) throw badMessage(key, 'the payload has no scalar "value"');
  const time = body['time'];
  if (time !== undefined && (typeof time !== 'number' || !Number.isFinite(time))) throw badMessage(key, '"time" is not a number of seconds');
  return { key, value: body['value'], time: time === undefined ? now : Math.round(time * 1000) };
}

/** Encodes one publication as the two frames `[key, payload]`. */
export function encodePublication(key: string, value: KeywordValue, timeMs: number): [string, string] {
  return [key, JSON.stringify({ value, time: timeMs / 1000 })];
}

/** Decodes the frames of one publication. Throws KEYWORD_BAD_MESSAGE. */
export function decodePublication(frames: readonly Uint8Array[], now: number): KeywordMessage {
  const [topic, payload] = frames;
  let key = '(unknown key)';
  try {
    if (topic) key = decoder.decode(topic);
  } catch {
    throw badMessage(key, 'the topic frame is not UTF-8');
  }
  if (frames.length !== 2 || !payload) throw badMessage(key, `expected 2 frames [key, payload], got ${frames.length}`);
  return messageOf(parseJson(payload, key), key, now);
}

/** A get request. */
export function encodeRequest(id: string, key: string): string {
  return JSON.stringify({ request: 'get', id, key });
}

/** Reads a get request; undefined when it is not one. */
export function decodeRequest(frame: Uint8Array): { id: string; key: string } | undefined {
  try {
    const body = parseJson(frame, 'request');
    if (body['request'] === 'get' && typeof body['id'] === 'string' && typeof body['key'] === 'string') {
      return { id: body['id'], key: body['key'] };
    }
  } catch {
    // not a request
  }
  return undefined;
}

/** The reply to a get request: the current message, or none. */
export function encodeReply(id: string, key: string, current: KeywordMessage | undefined): string {
  return JSON.stringify(current ? { id, key, value: current.value, time: current.time / 1000 } : { id, key });
}

/** Reads a reply: its request id and the message (undefined when the key has no value). Throws KEYWORD_BAD_MESSAGE. */
export function decodeReply(frame: Uint8Array, now: number): { id: string; message: KeywordMessage | undefined } {
  const body = parseJson(frame, 'reply');
  const { id, key } = body;
  if (typeof id !== 'string' || typeof key !== 'string') throw badMessage('reply', 'a reply needs string "id" and "key"');
  return { id, message: 'value' in body ? messageOf(body, key, now) : undefined };
}
