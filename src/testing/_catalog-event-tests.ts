/**
 * Conformance tests of the event log and webhook subscriptions: events made by the transitions that cause them, in
 * the same transaction (a failed commit makes none), numbered in order, filtered, read with a cursor; durable
 * subscription cursors that only move forward. Internal to src/testing.
 *
 * @module
 */
import { transition } from '../core/lifecycle/transition.js';
import type { Subscription } from '../core/ports/archive-events.js';
import type { Catalog } from '../core/ports/catalog.js';
import { T0, archived, archivedFileOf, archiveIdOf, inserted, rejection, step, toTransferred } from './_catalog-fixtures.js';
import type { DefineTest } from './_catalog-fixtures.js';

/** The catalog's event methods (the suite requires them: pass their test names in `skip` for a catalog without). */
function log(catalog: Catalog) {
  const { events, appendEvent, addSubscription, subscriptions, removeSubscription, advanceSubscription } = catalog;
  if (!events || !appendEvent || !addSubscription || !subscriptions || !removeSubscription || !advanceSubscription) {
    throw new Error(`the ${catalog.name} catalog has no event log (events, appendEvent, …subscription methods)`);
  }
  return {
    events: events.bind(catalog),
    appendEvent: appendEvent.bind(catalog),
    addSubscription: addSubscription.bind(catalog),
    subscriptions: subscriptions.bind(catalog),
    removeSubscription: removeSubscription.bind(catalog),
    advanceSubscription: advanceSubscription.bind(catalog),
  };
}

const subscription = (id: string, overrides: Partial<Subscription> = {}): Subscription => ({
  id,
  site: 'drp',
  tokenSha256: 'a'.repeat(64),
  url: 'http://127.0.0.1:9/hook',
  secret: 'sixteen-chars-secret',
  filter: { instrument: 'TESTCAM', level: 0 },
  cursor: 0,
  createdAt: T0,
  ...overrides,
});

export function eventTests(define: DefineTest): void {
  define('archiving a file appends one archived event with its catalog fields; other steps none', async ({ catalog, expect }) => {
    const { events } = log(catalog);
    expect(await events({})).toEqual({ events: [], cursor: 0 });
    const { record, file } = await archived(catalog, 1);
    const page = await events({});
    expect(page.events).toHaveLength(1);
    const [event] = page.events;
    expect(event).toEqual({
      seq: event!.seq,
      kind: 'archived',
      at: record.updatedAt,
      recordId: record.id,
      archiveId: file.archiveId,
      instrument: 'TESTCAM',
      level: 0,
      night: '2024-01-01',
      program: 'C123',
      imageType: 'object',
      object: 'M31',
      releaseDate: '2025-07-01',
      parents: [],
      sha256: file.sha256,
      size: file.size,
      originalName: 'f1.fits',
    });
    expect(page.cursor).toBe(event!.seq);
  });

  define('events are numbered in commit order and read after a cursor, page by page', async ({ catalog, expect }) => {
    const { events } = log(catalog);
    for (let n = 1; n <= 5; n++) await archived(catalog, n);
    const all = (await events({})).events;
    expect(all.map((e) => e.archiveId)).toEqual([1, 2, 3, 4, 5].map((n) => archiveIdOf(n)));
    for (let i = 1; i < all.length; i++) expect(all[i]!.seq > all[i - 1]!.seq).toBe(true);
    const first = await events({ limit: 2 });
    expect(first.events.map((e) => e.seq)).toEqual(all.slice(0, 2).map((e) => e.seq));
    expect(first.cursor).toBe(all[1]!.seq);
    const rest = await events({ after: first.cursor, limit: 10 });
    expect(rest.events.map((e) => e.seq)).toEqual(all.slice(2).map((e) => e.seq));
    expect(await events({ after: rest.cursor })).toEqual({ events: [], cursor: rest.cursor });
    expect((await events({ after: first.cursor, limit: 0 })).cursor).toBe(first.cursor);
  });

  define('filters select by kind, instrument, level, program and image type; the cursor passes what they skip', async ({ catalog, expect }) => {
    const { events } = log(catalog);
    await archived(catalog, 1, () => ({ imageType: 'BIAS', program: 'ENG' }));
    await archived(catalog, 2, () => ({ imageType: 'object', program: 'C123' }));
    const bad = await inserted(catalog, 3);
    await step(catalog, bad, { type: 'INVALID', error: { code: 'NOT_FITS', kind: 'invalid', message: 'not a FITS file' } });
    const ids = async (q: Parameters<typeof events>[0]) => (await events(q)).events.map((e) => e.archiveId ?? e.recordId);
    expect(await ids({ imageType: 'bias' })).toEqual([archiveIdOf(1)]);
    expect(await ids({ program: 'C123' })).toEqual([archiveIdOf(2)]);
    expect(await ids({ instrument: 'TESTCAM', level: 0, kinds: ['archived'] })).toEqual([archiveIdOf(1), archiveIdOf(2)]);
    expect(await ids({ level: 1 })).toEqual([]);
    const invalid = (await events({ kinds: ['invalid'] })).events;
    expect(invalid.map((e) => [e.recordId, e.error])).toEqual([['rec-3', { code: 'NOT_FITS', message: 'not a FITS file' }]]);
    const all = (await events({})).events;
    expect((await events({ imageType: 'BIAS' })).cursor).toBe(all.at(-1)!.seq);
  });

  define('a supersede appends superseded then archived in its commit; a refused commit appends nothing', async ({ catalog, expect }) => {
    const { events } = log(catalog);
    const { record: old, file: oldFile } = await archived(catalog, 1);
    const transferred = await toTransferred(catalog, await inserted(catalog, 2, '/data/raw/f1-fixed.fits'), oldFile.archiveId);
    const { record, entry } = transition(transferred, { type: 'ARCHIVED' }, transferred.updatedAt + 1);
    const file = archivedFileOf(transferred, { sha256: 'new-sha' });
    const before = (await events({})).cursor;
    // Without the supersede, the archive id is taken: refused, and no event.
    expect(await rejection(() => catalog.commitArchived(record, entry!, file))).toBe('ARCHIVE_ID_CONFLICT');
    expect((await events({ after: before })).events).toEqual([]);
    const superseded = transition(old, { type: 'SUPERSEDE', by: 'rec-2' }, T0 + 100);
    await catalog.commitArchived(record, entry!, file, { record: superseded.record, entry: superseded.entry! });
    const after = (await events({ after: before })).events;
    expect(after.map((e) => [e.kind, e.recordId, e.archiveId, e.sha256])).toEqual([
      ['superseded', 'rec-1', oldFile.archiveId, oldFile.sha256],
      ['archived', 'rec-2', oldFile.archiveId, 'new-sha'],
    ]);
    expect(after[0]!.supersededBy).toBe('rec-2');
  });

  define('appendEvent numbers an event after the others', async ({ catalog, expect }) => {
    const { events, appendEvent } = log(catalog);
    await archived(catalog, 1);
    const released = await appendEvent({
      kind: 'released', at: T0, recordId: null, archiveId: null, instrument: 'TESTCAM', level: 2, night: '2024-01-01', program: null,
      imageType: null, object: null, releaseDate: null, parents: [], sha256: null, size: null, originalName: null, detail: { site: 'drp', products: 3 },
    });
    const all = (await events({})).events;
    expect(all.at(-1)).toEqual(released);
    expect(released.seq > all[0]!.seq).toBe(true);
    expect((await events({ kinds: ['released'], level: 2 })).events).toEqual([released]);
  });

  define('subscriptions are stored with their filter; cursors only move forward; removal', async ({ catalog, expect }) => {
    const s = log(catalog);
    await s.addSubscription(subscription('sub-b', { createdAt: T0 + 1 }));
    await s.addSubscription(subscription('sub-a', { filter: {} }));
    expect(await rejection(() => s.addSubscription(subscription('sub-a')))).toBe('CONFLICT');
    expect((await s.subscriptions()).map((x) => x.id)).toEqual(['sub-a', 'sub-b']);
    expect((await s.subscriptions())[1]).toEqual(subscription('sub-b', { createdAt: T0 + 1 }));
    await s.advanceSubscription('sub-b', 7);
    await s.advanceSubscription('sub-b', 3);
    expect((await s.subscriptions()).find((x) => x.id === 'sub-b')!.cursor).toBe(7);
    expect(await rejection(() => s.advanceSubscription('nope', 1))).toBe('NOT_FOUND');
    expect(await s.removeSubscription('sub-a')).toBe(true);
    expect(await s.removeSubscription('sub-a')).toBe(false);
    expect((await s.subscriptions()).map((x) => x.id)).toEqual(['sub-b']);
  });

  define('the event log and subscription cursors survive reopening', async ({ catalog, expect, open }) => {
    await archived(catalog, 1);
    await log(catalog).addSubscription(subscription('sub-1'));
    await log(catalog).advanceSubscription('sub-1', 1);
    const before = await log(catalog).events({});
    await catalog.close();
    const reopened = log(await open());
    expect(await reopened.events({})).toEqual(before);
    expect((await reopened.subscriptions())[0]!.cursor).toBe(1);
  }, 'durable');

  define('program grants: stored once, listed by program and site, revoked', async ({ catalog, expect }) => {
    if (!catalog.programGrants || !catalog.grantProgram || !catalog.revokeProgram) return expect([catalog.programGrants, catalog.grantProgram, catalog.revokeProgram]).toEqual([undefined, undefined, undefined]);
    const grant = { program: 'K123', site: 'bob', grantedBy: 'pi:k123-pi', grantedAt: T0 };
    expect(await catalog.grantProgram(grant)).toBe(true);
    expect(await catalog.grantProgram({ ...grant, grantedBy: 'operator:ops', grantedAt: T0 + 5 })).toBe(false);
    expect(await catalog.grantProgram({ program: 'K007', site: 'bob', grantedBy: 'operator:ops', grantedAt: T0 + 1 })).toBe(true);
    expect(await catalog.grantProgram({ program: 'K123', site: 'ann', grantedBy: 'pi:k123-pi', grantedAt: T0 + 2 })).toBe(true);
    expect((await catalog.programGrants()).map((g) => `${g.program}/${g.site}`)).toEqual(['K007/bob', 'K123/ann', 'K123/bob']);
    expect((await catalog.programGrants()).find((g) => g.program === 'K123' && g.site === 'bob')).toEqual(grant);
    expect(await catalog.revokeProgram('K123', 'bob')).toBe(true);
    expect(await catalog.revokeProgram('K123', 'bob')).toBe(false);
    expect((await catalog.programGrants()).map((g) => `${g.program}/${g.site}`)).toEqual(['K007/bob', 'K123/ann']);
  });

  define('program grants survive reopening', async ({ catalog, expect, open }) => {
    if (!catalog.grantProgram) return;
    await catalog.grantProgram({ program: 'K123', site: 'bob', grantedBy: 'pi:k123-pi', grantedAt: T0 });
    await catalog.close();
    const reopened = await open();
    expect(await reopened.programGrants!()).toEqual([{ program: 'K123', site: 'bob', grantedBy: 'pi:k123-pi', grantedAt: T0 }]);
  }, 'durable');

  define('nights counts the current archived files of each night by instrument and level, newest first', async ({ catalog, expect }) => {
    if (!catalog.nights) throw new Error(`the ${catalog.name} catalog has no nights()`);
    await archived(catalog, 1, () => ({}), '2024-01-01');
    await archived(catalog, 2, () => ({}), '2024-01-01');
    await archived(catalog, 3, () => ({ level: 1 }), '2024-01-01');
    await archived(catalog, 4, () => ({}), '2024-01-03');
    expect(await catalog.nights()).toEqual([
      { night: '2024-01-03', instrument: 'TESTCAM', level: 0, files: 1 },
      { night: '2024-01-01', instrument: 'TESTCAM', level: 0, files: 2 },
      { night: '2024-01-01', instrument: 'TESTCAM', level: 1, files: 1 },
    ]);
    expect(await catalog.nights({ nightTo: '2024-01-02', instrument: 'test camera' })).toHaveLength(2);
    expect(await catalog.nights({ instrument: 'Other-Cam' })).toEqual([]);
  });
}
