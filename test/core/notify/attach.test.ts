/** attachNotifications on a real ingestor (memory catalog, filesystem transport), with an injected clock. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryCatalog } from '../../../src/adapters/catalogs/memory.js';
import { createFilesystemTransport } from '../../../src/adapters/transports/filesystem.js';
import { attachNotifications, type NotificationsHandle } from '../../../src/core/notify/attach.js';
import { IngestError, type IngestErrorCode } from '../../../src/core/errors.js';
import type { Clock } from '../../../src/core/ports/clock.js';
import type { Catalog } from '../../../src/core/ports/catalog.js';
import type { Notification, Notifier } from '../../../src/core/ports/notifier.js';
import { builtinInstruments, createIngestor, type Ingestor } from '../../../src/index.js';
import { frameName, makeBrokenFile, makeFrame } from '../../../src/simulator/frames.js';

const T = new Date(Date.UTC(2026, 10, 20, 8, 30, 15, 50));
const programs = { K123: { pi: 'Ana Astronomer', email: 'ana@example.edu' }, K200: { pi: 'Ben Observer', email: 'ben@example.org' } };

let dir: string;
let incoming: string;
let catalog: Catalog;
let ingestor: Ingestor;
let handle: NotificationsHandle | undefined;
let now: number;
const clock: Clock = { now: () => now, sleep: async () => {} };

/** An in-memory notifier that records what it is given. */
function recorder(addressed: boolean, fail?: IngestErrorCode): Notifier & { got: Notification[] } {
  const got: Notification[] = [];
  return {
    name: addressed ? 'recorder-mail' : 'recorder-hook',
    capabilities: { addressed },
    got,
    async send(notification) {
      if (fail) throw new IngestError(fail, 'the destination is down');
      got.push(notification);
    },
  };
}

function newIngestor(): Ingestor {
  return createIngestor({
    instruments: builtinInstruments(),
    catalog,
    transports: [createFilesystemTransport({ root: join(dir, 'archive') })],
    staging: join(dir, 'staging'),
    stability: { quietMs: 20, pollMs: 10, settleMs: 100 },
    retry: { maxAttempts: 1 },
    tickMs: 10,
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fits-notify-'));
  incoming = join(dir, 'incoming');
  mkdirSync(incoming);
  mkdirSync(join(dir, 'archive'));
  catalog = createMemoryCatalog();
  ingestor = newIngestor();
  now = T.getTime();
  await ingestor.start();
});
afterEach(async () => {
  handle?.detach();
  handle = undefined;
  await ingestor.stop();
  rmSync(dir, { recursive: true, force: true });
});

let frame = 0;
function write(program: string, broken?: 'truncated' | 'not-fits'): string {
  frame++;
  const options = { time: new Date(T.getTime() + frame * 60_000), frameNumber: frame, axes: [32, 32] as [number, number], program };
  const path = join(incoming, broken ? `${broken}_${frame}.fits` : frameName(options));
  const bytes = makeFrame(options);
  writeFileSync(path, broken ? makeBrokenFile(broken, bytes) : bytes);
  return path;
}

async function ingest(paths: string[]): Promise<void> {
  const ids: string[] = [];
  for (const path of paths) ids.push((await ingestor.submit({ path, trigger: 'test', detectedAt: now, complete: true })).record.id);
  await ingestor.settled(ids);
  await handle!.idle();
}

describe('attachNotifications', () => {
  it('tells each PI once about the first archived frame of the night; routes by capability and kind', async () => {
    const mail = recorder(true);
    const hook = recorder(false);
    handle = attachNotifications(ingestor, { notifiers: [mail, { notifier: hook, kinds: ['file-invalid'] }], programs, rules: { operators: ['ops@example.org'] }, clock });
    await ingest([write('K123'), write('K123'), write('K200'), write('K999')]);
    await ingest([write('K123')]);
    // Files are processed concurrently, so the two PIs may hear in either order.
    expect(mail.got.map((n) => [n.kind, n.to]).sort((a, b) => String(a[1]).localeCompare(String(b[1])))).toEqual([
      ['first-frame', ['ana@example.edu']],
      ['first-frame', ['ben@example.org']],
    ]);
    // The mail names a frame of the first burst (concurrent commits may land out of archivedAt order), not the
    // frame archived afterwards.
    const k123 = await catalog.findArchived({ program: 'K123' });
    const burst = k123.filter((a) => a.archiveId !== k123.reduce((a, b) => (b.archivedAt > a.archivedAt ? b : a)).archiveId);
    expect(k123).toHaveLength(3);
    expect(burst.map((a) => a.archiveId)).toContain(mail.got.find((n) => n.data['program'] === 'K123')!.data['archiveId']);
    expect(hook.got).toEqual([]);
    await ingest([write('K123', 'not-fits')]);
    expect(hook.got.map((n) => n.data['code'])).toEqual(['NOT_FITS']);
    expect(mail.got.at(-1)).toMatchObject({ kind: 'file-invalid', to: ['ops@example.org'] });
    expect(handle.stats()).toMatchObject({ decided: 4, failed: 0 });
  });

  it('after a restart (new state, same catalog) sends no second PI mail for the night', async () => {
    const first = recorder(true);
    handle = attachNotifications(ingestor, { notifiers: [first], programs, clock });
    await ingest([write('K123')]);
    handle.detach();
    await ingestor.stop();
    ingestor = newIngestor();
    await ingestor.start();
    const second = recorder(true);
    handle = attachNotifications(ingestor, { notifiers: [second], programs, clock });
    await ingest([write('K123'), write('K200')]);
    expect(first.got.map((n) => n.data['program'])).toEqual(['K123']);
    expect(second.got.map((n) => n.data['program'])).toEqual(['K200']);
  });

  it('throttles operator alerts per error code on the injected clock', async () => {
    const mail = recorder(true);
    handle = attachNotifications(ingestor, { notifiers: [mail], programs, rules: { operators: ['ops@example.org'], firstFrame: { enabled: false } }, clock });
    await ingest([write('K123', 'truncated'), write('K123', 'truncated'), write('K123', 'not-fits'), write('K123', 'truncated')]);
    // One alert per code (the files are prepared concurrently, so in either order), nothing held back yet.
    const byCode = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
    expect(mail.got.map((n) => [n.data['code'], n.data['heldBack']]).sort(byCode)).toEqual([['NOT_FITS', 0], ['SIZE_OVERRUN', 0]]);
    now += 3_600_000;
    await ingest([write('K123', 'truncated')]);
    expect(mail.got.map((n) => [n.data['code'], n.data['heldBack']]).at(-1)).toEqual(['SIZE_OVERRUN', 2]);
  });

  it('reports delivery failures to onError and never disturbs the ingestor', async () => {
    const errors: string[] = [];
    handle = attachNotifications(ingestor, { notifiers: [recorder(true, 'NOTIFY_FAILED')], programs, clock, onError: (e, n, notifier) => errors.push(`${e.code} ${n?.kind} ${notifier}`) });
    const path = write('K123');
    await ingest([path]);
    expect(errors).toEqual(['NOTIFY_FAILED first-frame recorder-mail']);
    expect(handle.stats()).toMatchObject({ delivered: 0, failed: 1 });
    expect((await catalog.findArchived({ program: 'K123' })).length).toBe(1);
  });
});
