/**
 * The words of each notification: subject, text and data, built from records (pure).
 *
 * @module
 */
import type { FileRecord } from '../lifecycle/record.js';
import type { ArchivedFile } from '../ports/catalog.js';
import type { Notification, NotificationValue } from '../ports/notifier.js';
import type { TriggerAlert } from '../ports/trigger.js';

/** What the previous throttle window of an error code held back. */
export interface HeldBack {
  count: number;
  /** When the first held-back event happened (epoch ms). */
  since: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function table(rows: ReadonlyArray<readonly [string, string | number | undefined]>): string {
  const shown = rows.filter((row): row is readonly [string, string | number] => row[1] !== undefined && row[1] !== '');
  const width = Math.max(...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
}

function heldBackLine(code: string, held: HeldBack | undefined, throttleMs: number): string {
  if (!held || held.count === 0) return '';
  const minutes = Math.round(throttleMs / 60_000);
  return `\n${held.count} more notification(s) with code ${code} were held back since ${iso(held.since)} (one per code every ${minutes} min).\n`;
}

function signature(archive: string): string {
  return `\n-- \n${archive}\n`;
}

/** The PI's mail: the first frame of the program this night is in the archive. */
export function firstFrameNotification(
  args: { record: FileRecord; file: ArchivedFile; program: string; to: string[]; pi?: string; title?: string },
  archive: string,
  now: number,
): Notification {
  const { record, file, program } = args;
  const greeting = args.pi ? `Dear ${args.pi},` : 'Hello,';
  const text = [
    greeting,
    '',
    `The first frame of program ${program} for the night of ${file.night} is in the archive.`,
    '',
    table([
      ['archive id', file.archiveId],
      ['program', args.title ? `${program} (${args.title})` : program],
      ['instrument', file.instrument],
      ['image type', file.imageType],
      ['original name', file.originalName],
      ['observed', file.dateObs],
      ['archived at', iso(file.archivedAt)],
    ]),
    '',
    'Later frames of this night are archived without further mail.',
  ].join('\n');
  const data: Record<string, NotificationValue> = {
    program,
    night: file.night,
    archiveId: file.archiveId,
    instrument: file.instrument,
    originalName: file.originalName,
    level: file.level,
    recordId: record.id,
    pi: args.pi ?? null,
    piKnown: args.to.length > 0,
  };
  return {
    kind: 'first-frame',
    to: args.to,
    subject: `[${archive}] first ${program} frame of ${file.night} archived: ${file.archiveId}`,
    text: text + signature(archive),
    data,
    at: now,
  };
}

/** One file in a release notice. */
export interface ReleasedFile {
  archiveId: string;
  instrument: string;
  night: string;
  imageType?: string | undefined;
  originalName: string;
}

/** The PI's mail: files of the program reached the end of their proprietary period and are now public. */
export function releaseNotification(
  args: { program: string; releaseDate: string; files: readonly ReleasedFile[]; to: string[]; pi?: string; title?: string },
  archive: string,
  now: number,
): Notification {
  const { program, files } = args;
  const shown = files.slice(0, 200);
  const nights = [...new Set(files.map((f) => f.night))].sort();
  const text = [
    args.pi ? `Dear ${args.pi},` : 'Hello,',
    '',
    `The proprietary period of ${files.length} file(s) of program ${args.title ? `${program} (${args.title})` : program} ended on ${args.releaseDate}: from now on they are public.`,
    '',
    ...shown.map((f) => `  ${f.archiveId}  ${f.instrument}  ${f.imageType ?? ''}  ${f.originalName}`.trimEnd()),
    ...(files.length > shown.length ? [`  … and ${files.length - shown.length} more`] : []),
    '',
    'An archive operator can extend a proprietary period if you ask before it ends.',
  ].join('\n');
  return {
    kind: 'release',
    to: args.to,
    subject: `[${archive}] ${files.length} file(s) of ${program} released on ${args.releaseDate}`,
    text: text + signature(archive),
    data: { program, releaseDate: args.releaseDate, files: files.length, nights: nights.join(','), pi: args.pi ?? null, piKnown: args.to.length > 0 },
    at: now,
  };
}

/** What an operator alert needs besides its event. */
export interface AlertContext {
  to: string[];
  /** What the previous throttle window of the code held back. */
  held: HeldBack | undefined;
  throttleMs: number;
  archive: string;
  now: number;
}

/** The operators' alert for an INVALID or ABANDONED file. */
export function fileProblemNotification(kind: 'file-invalid' | 'file-abandoned', record: FileRecord, context: AlertContext): Notification {
  const { to, held, throttleMs, archive, now } = context;
  const code = record.error?.code ?? 'UNKNOWN';
  const state = kind === 'file-invalid' ? 'INVALID' : 'ABANDONED';
  const what = kind === 'file-invalid' ? 'was quarantined as INVALID' : `was ABANDONED after ${record.attempts} attempt(s)`;
  const text = [
    `${record.source} ${what}.`,
    '',
    table([
      ['code', code],
      ['message', record.error?.message],
      ['step', record.error?.step],
      ['instrument', record.instrument],
      ['trigger', record.trigger],
      ['record id', record.id],
      ['at', iso(record.updatedAt)],
    ]),
    heldBackLine(code, held, throttleMs),
    kind === 'file-invalid'
      ? 'The original file is untouched. Fix it (or the instrument description) and requeue the record.'
      : 'The original file is untouched. Fix the cause and requeue the record.',
  ].join('\n');
  return {
    kind,
    to,
    subject: `[${archive}] ${state} ${code}: ${record.originalName}`,
    text: text + signature(archive),
    data: {
      state,
      code,
      message: record.error?.message ?? null,
      source: record.source,
      originalName: record.originalName,
      instrument: record.instrument ?? null,
      recordId: record.id,
      attempts: record.attempts,
      heldBack: held?.count ?? 0,
    },
    at: now,
  };
}

/** The operators' alert for a trigger problem (a rejected mail, a stale heartbeat, a backlog…). */
export function triggerAlertNotification(alert: TriggerAlert, context: AlertContext): Notification {
  const { to, held, throttleMs, archive, now } = context;
  const text = [
    `The trigger "${alert.trigger}" reports ${alert.code}:`,
    '',
    alert.message,
    alert.path ? `\nConcerning: ${alert.path}` : '',
    heldBackLine(alert.code, held, throttleMs),
  ].join('\n');
  return {
    kind: 'trigger-alert',
    to,
    subject: `[${archive}] ${alert.trigger}: ${alert.code}`,
    text: text + signature(archive),
    data: { trigger: alert.trigger, code: alert.code, message: alert.message, path: alert.path ?? null, heldBack: held?.count ?? 0 },
    at: now,
  };
}
