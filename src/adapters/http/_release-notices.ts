/**
 * Mail to a program's PI when files of the program are released (their proprietary period over): one notice per
 * program and release date each time releases are recorded, addressed from the program directory (as the first-frame
 * mail) and the `email` of the tokens that lead the program (`pi`). At most once: a notice whose delivery fails is
 * logged, not sent again (the releases are already in the files' histories). Internal to src/adapters/http.
 *
 * @module
 */
import { toIngestError } from '../../core/errors.js';
import { releaseNotification } from '../../core/notify/messages.js';
import { piAddresses, type ProgramDirectory } from '../../core/notify/programs.js';
import type { Logger } from '../../core/ports/logger.js';
import type { Notification, Notifier } from '../../core/ports/notifier.js';
import type { TokenStore } from './_auth.js';
import type { Release } from './_embargo.js';

/** Options of the release notices (`releaseNotices` of the ingest server). */
export interface ReleaseNoticeOptions {
  /** Where notices go (e.g. the mail notifier); addressed notifiers skip a notice without recipients. */
  notifiers: readonly Notifier[];
  /** Program id → PI name and addresses. @default {} */
  programs?: ProgramDirectory;
  /** The archive's name, in the subject and signature. @default 'fits-ingest' */
  archive?: string;
}

/** The notices for a batch of releases: one per program and release date, files in archive-id order. */
export function releaseNotices(releases: readonly Release[], tokens: TokenStore, options: ReleaseNoticeOptions, now: number): Notification[] {
  const groups = new Map<string, Release[]>();
  for (const r of releases) {
    if (!r.file.program) continue;
    const key = `${r.file.program.toUpperCase()}\u0000${String(r.record.metadata['released'] ?? r.file.releaseDate ?? '')}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const directory = options.programs ?? {};
  return [...groups].map(([key, group]) => {
    const [program, releaseDate] = key.split('\u0000') as [string, string];
    const entry = directory[program] ?? directory[group[0]!.file.program!];
    const to = [...new Set([...piAddresses(directory, program), ...piAddresses(directory, group[0]!.file.program!), ...tokens.leadersOf(program).flatMap((l) => (l.email ? [l.email] : []))])];
    const files = group.map(({ file }) => ({ archiveId: file.archiveId, instrument: file.instrument, night: file.night, imageType: file.imageType, originalName: file.originalName })).sort((a, b) => (a.archiveId < b.archiveId ? -1 : 1));
    return releaseNotification({ program, releaseDate, files, to, ...(entry ? { pi: entry.pi, ...(entry.title ? { title: entry.title } : {}) } : {}) }, options.archive ?? 'fits-ingest', now);
  });
}

/** Delivers notices; resolves once every delivery ended (failures are logged, never thrown). */
export async function sendReleaseNotices(notices: readonly Notification[], notifiers: readonly Notifier[], logger: Logger): Promise<{ delivered: number; failed: number }> {
  const counts = { delivered: 0, failed: 0 };
  await Promise.all(
    notices.flatMap((notice) =>
      notifiers.map(async (notifier) => {
        if (notifier.capabilities.addressed && notice.to.length === 0) {
          logger.warn('release notice has no recipient', { program: notice.data['program'], notifier: notifier.name });
          return;
        }
        try {
          await notifier.send(notice);
          counts.delivered++;
        } catch (error) {
          counts.failed++;
          logger.error('release notice failed', { program: notice.data['program'], notifier: notifier.name, error: toIngestError(error).toJSON() });
        }
      }),
    ),
  );
  return counts;
}
