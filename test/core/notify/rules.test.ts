/** The pure notification decisions: first frame per program and night, throttling per error code. */
import { describe, expect, it } from 'vitest';
import { decideNotifications, initialNotifyState, resolveRules, TOLD_MEMORY_MS, type NotifyEvent, type NotifyState } from '../../../src/core/notify/rules.js';
import { parseProgramDirectory } from '../../../src/core/notify/programs.js';
import { createRecord, type FileRecord } from '../../../src/core/lifecycle/record.js';
import type { ArchivedFile } from '../../../src/core/ports/catalog.js';
import type { Notification } from '../../../src/core/ports/notifier.js';
import { isIngestError } from '../../../src/core/errors.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const programs = parseProgramDirectory({
  K123: { pi: 'Ana Astronomer', email: 'ana@example.edu', title: 'Dwarfs of Centaurus A' },
  K200: { pi: 'Ben Observer', email: ['ben@example.org', 'team@example.org'] },
});
const rules = resolveRules({ operators: ['ops@example.org'], archiveName: 'KOA' });

let n = 0;
function record(extra: Partial<FileRecord> = {}): FileRecord {
  n++;
  return { ...createRecord({ id: `r${n}`, source: `/data/kb_${n}.fits`, originalName: `kb_${n}.fits`, trigger: 'test' }, T0), ...extra };
}
function archived(program: string | undefined, night = '2026-11-20', level: 0 | 1 | 2 = 0): Extract<NotifyEvent, { type: 'archived' }> {
  const r = record({ state: 'ARCHIVED', level });
  const file = { archiveId: `KB.20261120.${10000 + n}.00`, recordId: r.id, instrument: 'KCWI', level, night, originalName: r.originalName, archivedAt: T0 + n, imageType: 'object' } as ArchivedFile;
  if (program !== undefined) file.program = program;
  return { type: 'archived', record: r, file, earlierArchived: false };
}
const invalid = (code: string): NotifyEvent => ({ type: 'invalid', record: record({ state: 'INVALID', error: { code, kind: 'invalid', message: `${code} happened`, step: 'stabilize' } }) });

/** Runs events through the decisions, each at its time; returns the notifications and the final state. */
function run(events: ReadonlyArray<readonly [number, NotifyEvent]>, r = rules, state: NotifyState = initialNotifyState) {
  const sent: Notification[] = [];
  for (const [at, event] of events) {
    const decision = decideNotifications(state, event, r, programs, at);
    state = decision.state;
    sent.push(...decision.notifications);
  }
  return { sent, state };
}

describe('first frame of the night', () => {
  it('mails the PI once per program and night, with the archive id in subject, text and data', () => {
    const { sent } = run([
      [T0, archived('K123')],
      [T0 + 1, archived('K123')],
      [T0 + 2, archived('K200')],
      [T0 + 3, archived('K123', '2026-11-21')],
    ]);
    expect(sent.map((s) => [s.kind, s.to, s.data['program'], s.data['night']])).toEqual([
      ['first-frame', ['ana@example.edu'], 'K123', '2026-11-20'],
      ['first-frame', ['ben@example.org', 'team@example.org'], 'K200', '2026-11-20'],
      ['first-frame', ['ana@example.edu'], 'K123', '2026-11-21'],
    ]);
    expect(sent[0]!.subject).toBe(`[KOA] first K123 frame of 2026-11-20 archived: ${sent[0]!.data['archiveId']}`);
    expect(sent[0]!.text).toContain('Dear Ana Astronomer,');
    expect(sent[0]!.text).toContain('K123 (Dwarfs of Centaurus A)');
    expect(sent[0]!.at).toBe(T0);
  });

  it('stays silent when the catalog holds an earlier frame, for products, reingests, and files without program', () => {
    const later = { ...archived('K123'), earlierArchived: true };
    const reingest = archived('K123');
    reingest.record.metadata = { reingest: true };
    expect(run([[T0, later], [T0, archived('K123', '2026-11-20', 1)], [T0, reingest], [T0, archived(undefined)]]).sent).toEqual([]);
  });

  it('addresses nobody for a program missing from the directory (the notification still exists for webhooks)', () => {
    const [only] = run([[T0, archived('K999')]]).sent;
    expect(only).toMatchObject({ kind: 'first-frame', to: [], data: { program: 'K999', piKnown: false, pi: null } });
  });

  it('copies the operators when asked, and can be switched off', () => {
    expect(run([[T0, archived('K123')]], resolveRules({ operators: ['ops@example.org'], firstFrame: { copyOperators: true } })).sent[0]!.to).toEqual(['ana@example.edu', 'ops@example.org']);
    expect(run([[T0, archived('K123')]], resolveRules({ firstFrame: { enabled: false } })).sent).toEqual([]);
  });

  it('forgets told programs after three days (the catalog check guards later frames)', () => {
    const { state } = run([[T0, archived('K123', '2026-11-01')]]);
    const after = run([[T0 + TOLD_MEMORY_MS + 1, archived('K200')]], rules, state).state;
    expect(Object.keys(after.told)).toEqual(['K200\u00002026-11-20']);
  });
});

describe('operator alerts, throttled per error code (Keck: one mail per code per hour)', () => {
  it('sends the first of each code, holds back the rest of the hour, and reports them with the next one', () => {
    const { sent } = run([
      [T0, invalid('TRUNCATED')],
      [T0 + 10 * 60_000, invalid('TRUNCATED')],
      [T0 + 20 * 60_000, invalid('NOT_FITS')],
      [T0 + 30 * 60_000, invalid('TRUNCATED')],
      [T0 + HOUR - 1, invalid('TRUNCATED')],
      [T0 + HOUR, invalid('TRUNCATED')],
      [T0 + HOUR + 1, invalid('TRUNCATED')],
    ]);
    expect(sent.map((s) => [s.kind, s.data['code'], s.data['heldBack'], s.at - T0])).toEqual([
      ['file-invalid', 'TRUNCATED', 0, 0],
      ['file-invalid', 'NOT_FITS', 0, 20 * 60_000],
      ['file-invalid', 'TRUNCATED', 3, HOUR],
    ]);
    expect(sent[0]).toMatchObject({ to: ['ops@example.org'], subject: expect.stringMatching(/^\[KOA\] INVALID TRUNCATED: kb_\d+\.fits$/) });
    expect(sent[2]!.text).toContain(`3 more notification(s) with code TRUNCATED were held back since ${new Date(T0 + 10 * 60_000).toISOString()}`);
  });

  it('treats ABANDONED files and trigger alerts the same way, each by its code', () => {
    const abandoned: NotifyEvent = { type: 'abandoned', record: record({ state: 'ABANDONED', attempts: 5, error: { code: 'IO_ERROR', kind: 'transient', message: 'disk full' } }) };
    const alert: NotifyEvent = { type: 'alert', alert: { trigger: 'smtp', code: 'MAIL_MALFORMED', message: 'line 1: unknown key', path: '/var/mail/rejected/new/1' } };
    const { sent } = run([[T0, abandoned], [T0 + 1, abandoned], [T0 + 2, alert], [T0 + 3, alert]]);
    expect(sent.map((s) => [s.kind, s.data['code']])).toEqual([['file-abandoned', 'IO_ERROR'], ['trigger-alert', 'MAIL_MALFORMED']]);
    expect(sent[0]!.text).toContain('ABANDONED after 5 attempt(s)');
    expect(sent[1]!.text).toContain('/var/mail/rejected/new/1');
  });

  it('sends every alert with throttleMs 0, none when switched off', () => {
    expect(run([[T0, invalid('X')], [T0, invalid('X')]], resolveRules({ alerts: { throttleMs: 0 } })).sent).toHaveLength(2);
    expect(run([[T0, invalid('X')]], resolveRules({ alerts: { invalid: false } })).sent).toEqual([]);
  });
});

describe('configuration', () => {
  it('rejects bad rules and bad program entries with INVALID_OPTIONS naming the field', () => {
    let error: unknown;
    try {
      resolveRules({ operators: ['not an address'] });
    } catch (e) {
      error = e;
    }
    expect(isIngestError(error, 'INVALID_OPTIONS')).toBe(true);
    expect((error as { context: { field: string } }).context.field).toBe('operators.0');
    expect(() => parseProgramDirectory({ K1: { pi: 'X', email: 'nope' } }, 'programs.yaml')).toThrow(/programs.yaml: K1.email/);
  });
});
