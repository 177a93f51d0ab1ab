/**
 * Many long-polling subscribers of one server cost one catalog read per batch of commits, not one each: every
 * subscriber still gets every event, in order, once (issue 16, feed under load).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpTransport } from '../../../src/adapters/http/transport.js';
import type { EventPage, EventQuery } from '../../../src/core/ports/archive-events.js';
import type { TransferRequest } from '../../../src/core/ports/transport.js';
import { preparedFrames, removeDir, startArchive, tempDir, TOKENS, type Archive } from './_harness.js';

let archive: Archive;
let dir: string;
let frames: TransferRequest[];
let reads = 0;
beforeAll(async () => {
  dir = tempDir('fanout');
  archive = await startArchive({ sqlite: true, server: { feed: { pollMs: 60_000 } } });
  frames = await preparedFrames(dir, 3, { kind: 'object', program: 'K123' });
  const events = archive.catalog.events!.bind(archive.catalog);
  archive.catalog.events = async (query: EventQuery): Promise<EventPage> => {
    reads++;
    return events(query);
  };
});
afterAll(async () => {
  await archive.stop();
  removeDir(archive.dir);
  removeDir(dir);
});

async function poll(after: number, wait = 30): Promise<EventPage> {
  const response = await fetch(`${archive.url}/v1/events?after=${after}&wait=${wait}`, { headers: { authorization: `Bearer ${TOKENS.read}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as EventPage;
}

describe('feed fan-out', () => {
  it('40 long-polls each get every event once and in order, with far fewer catalog reads than subscribers', async () => {
    const subscribers = 40;
    const start = (await poll(0, 0)).cursor;
    reads = 0;
    const seen: number[][] = Array.from({ length: subscribers }, () => []);
    const loops = seen.map(async (mine) => {
      let after = start;
      while (mine.length < frames.length) {
        const page = await poll(after);
        mine.push(...page.events.map((e) => e.seq));
        after = page.cursor;
      }
    });
    const transport = createHttpTransport({ url: archive.url, token: TOKENS.push });
    for (const frame of frames) await transport.transfer(frame);
    await transport.close?.();
    await Promise.all(loops);
    const all = (await archive.catalog.events!({ after: start })).events.map((e) => e.seq);
    expect(all).toHaveLength(frames.length);
    for (const mine of seen) expect(mine).toEqual(all);
    // One read per batch of commits (plus a few for requests that came in between), where each subscriber
    // reading for itself made at least one read per event per subscriber (120).
    expect(reads).toBeLessThan(subscribers);
  });
});
