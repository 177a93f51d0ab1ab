/** The quick-look half of both processing stores: frames taken once per archive id and rule, nights kept. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryProcessingStore } from '../../../src/adapters/processing-stores/memory.js';
import { createSqliteProcessingStore } from '../../../src/adapters/processing-stores/sqlite.js';
import type { ProcessingStore } from '../../../src/core/ports/processing-store.js';
import type { RuleFrame } from '../../../src/core/processing/quicklook.js';

const frame = (archiveId: string, archivedAt: number, extra: Partial<RuleFrame> = {}): RuleFrame => ({
  archiveId, rule: 'quicklook', instrument: 'KCWI', night: '2026-11-20', state: 'WAITING', waitingFor: ['bias'], completeAt: archivedAt - 5, archivedAt, updatedAt: archivedAt, ...extra,
});

const stores: [string, () => Promise<{ store: ProcessingStore; reopen?: () => Promise<ProcessingStore> }>][] = [
  ['memory', async () => ({ store: createMemoryProcessingStore() })],
  ['sqlite', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fits-frames-')), 'p.sqlite');
    const store = createSqliteProcessingStore({ path });
    await store.init();
    return { store, reopen: async () => {
      await store.close();
      const again = createSqliteProcessingStore({ path });
      await again.init();
      return again;
    } };
  }],
];

describe.each(stores)('%s processing store: quick-look frames and nights', (_name, open) => {
  it('takes a frame once per archive id and rule, filters by state and night, keeps nights', async () => {
    const { store, reopen } = await open();
    expect(await store.addFrame(frame('KB.2', 20))).toBe(true);
    expect(await store.addFrame(frame('KB.1', 10, { state: 'QUEUED', waitingFor: [], requestId: 'r1' }))).toBe(true);
    expect(await store.addFrame(frame('KB.2', 99, { state: 'DONE' }))).toBe(false);
    expect(await store.addFrame(frame('KB.2', 20, { rule: 'other' }))).toBe(true);
    await store.putFrame(frame('KB.1', 10, { state: 'DONE', requestId: 'r1', product: 'KB.1_ql', productArchivedAt: 30 }));
    await store.putNight({ instrument: 'KCWI', night: '2026-11-19', state: 'CLOSED', masters: { bias: 'KCWI/imaging/v1' } });
    await store.putNight({ instrument: 'KCWI', night: '2026-11-20', state: 'OPEN', masters: {} });
    const s = reopen ? await reopen() : store;
    expect((await s.findFrames()).map((f) => `${f.archiveId}/${f.rule}/${f.state}`)).toEqual(['KB.1/quicklook/DONE', 'KB.2/other/WAITING', 'KB.2/quicklook/WAITING']);
    expect((await s.findFrames({ states: ['WAITING'], night: '2026-11-20' })).map((f) => f.archivedAt)).toEqual([20, 20]);
    expect(await s.findFrames({ night: '2026-11-21' })).toEqual([]);
    expect((await s.findFrames({ states: ['DONE'] }))[0]).toMatchObject({ product: 'KB.1_ql', productArchivedAt: 30 });
    expect((await s.listNights()).map((n) => n.night)).toEqual(['2026-11-20', '2026-11-19']);
    expect(await s.getNight('KCWI', '2026-11-19')).toMatchObject({ state: 'CLOSED', masters: { bias: 'KCWI/imaging/v1' } });
    expect(await s.getNight('KCWI', '2026-11-18')).toBeUndefined();
    await s.close();
  });
});
