/**
 * The Maildir trigger: reads announcement mails (docs/mail.md) that a mail server delivered into a Maildir,
 * for observatories that already run a mail queue. It polls `new/` (works on NFS), oldest delivery first.
 *
 * - Accepted: once every announced file is recorded by the runtime, the message is renamed into `cur/` with the
 *   Seen flag (`:2,S`). If the runtime refuses a file the message stays in `new/` and is read again next poll.
 * - Refused (malformed, bad signature, path outside the roots, too large): the message is kept in the
 *   `rejectedFolder` Maildir (default `.Rejected`, a Maildir++ subfolder) with its reasons as header fields on
 *   top, and an alert is raised. The original leaves `new/` only once that copy is safely on disk.
 * - Authentication: there is no SMTP session here, so bodies must be signed (`secret`), unless
 *   `requireSignature: false` says the mail server filling this Maildir authenticates senders itself.
 * - An unreadable Maildir (unmounted, removed) raises one WATCH_ERROR alert; polling goes on.
 *
 * @module
 */
import { readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { IngestError, toIngestError } from '../../core/errors.js';
import type { Trigger, TriggerSink } from '../../core/ports/trigger.js';
import { startStop } from '../../core/runtime/once.js';
import { parseOptions } from '../_shared/options.js';
import { MailGate } from './_mail-gate.js';
import { mailParser, readAnnouncement, type Announced, type Envelope, type IntakeSettings } from './mail-intake.js';
import { intakeSettings, mailIntakeShape, refineSignature } from './mail-options.js';
import { keepRejected } from './_mail-reject.js';
import { alertFrom } from './_submit-queue.js';
import { syncDirectory } from '../../io/durable-fs.js';

/** Name of the Maildir trigger. */
export const MAILDIR_TRIGGER = 'maildir';

const maildirTriggerOptionsSchema = z
  .strictObject({
    ...mailIntakeShape,
    /** The trigger's name, on every item and alert. @default 'maildir' */
    name: z.string().min(1).default(MAILDIR_TRIGGER),
    /** The Maildir (the folder holding `tmp/`, `new/` and `cur/`). */
    dir: z.string().min(1),
    /** How often `new/` is read. @default 1000 */
    pollIntervalMs: z.int().min(10).default(1000),
    /** Where refused messages are kept: a Maildir, relative to `dir` or absolute. @default '.Rejected' */
    rejectedFolder: z.string().min(1).default('.Rejected'),
  })
  .superRefine((options, ctx) => {
    refineSignature(options, ctx);
    if (options.secret === undefined && options.requireSignature !== false) {
      ctx.addIssue({
        code: 'custom',
        path: ['secret'],
        message: 'only authenticated senders are accepted: configure secret (signed bodies), or set requireSignature: false if the mail server filling this Maildir authenticates senders itself',
      });
    }
  });

/** Options of {@link createMaildirTrigger}. */
export type MaildirTriggerOptions = z.input<typeof maildirTriggerOptionsSchema>;
type Options = z.output<typeof maildirTriggerOptionsSchema>;

/** `name` without its Maildir info suffix (`:2,…`). */
const baseOf = (name: string): string => name.split(':')[0]!;

/** One running poller. */
class Poller {
  readonly gate: MailGate;
  readonly abort = new AbortController();
  readonly newDir: string;
  readonly curDir: string;
  readonly rejectedDir: string;
  /** Messages whose failure was already alerted (not alerted again each poll). */
  readonly alerted = new Set<string>();
  unreadable = false;
  loop: Promise<void> | undefined;

  constructor(
    readonly options: Options,
    readonly settings: IntakeSettings,
    readonly sink: TriggerSink,
  ) {
    this.gate = new MailGate(sink, options.maxConcurrentSubmits, options.seenLimit);
    const dir = resolve(options.dir);
    this.newDir = join(dir, 'new');
    this.curDir = join(dir, 'cur');
    this.rejectedDir = isAbsolute(options.rejectedFolder) ? options.rejectedFolder : join(dir, options.rejectedFolder);
  }

  get stopping(): boolean {
    return this.abort.signal.aborted;
  }

  async run(): Promise<void> {
    while (!this.stopping) {
      await this.scan();
      try {
        await delay(this.options.pollIntervalMs, undefined, { signal: this.abort.signal });
      } catch {
        return;
      }
    }
  }

  /** Reads `new/` once and handles its messages, oldest delivery first, a few at a time. */
  async scan(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.newDir)).filter((name) => !name.startsWith('.'));
      this.unreadable = false;
    } catch (error) {
      if (!this.unreadable) {
        this.unreadable = true;
        const e = new IngestError('WATCH_ERROR', `cannot read the Maildir ${this.newDir}: ${toIngestError(error).detail}`, { cause: error });
        alertFrom(this.sink, this.options.name, e, this.newDir);
      }
      return;
    }
    const dated = await Promise.all(
      names.map(async (name) => ({ name, at: (await stat(join(this.newDir, name)).catch(() => undefined))?.mtimeMs ?? -1 })),
    );
    const queue = dated.filter((m) => m.at >= 0).sort((a, b) => a.at - b.at || (a.name < b.name ? -1 : 1));
    // Messages are read one after the other and handed to the gate in that order (so their files are submitted
    // in delivery order); a few of them may wait for their submits at once.
    const waiting = new Set<Promise<void>>();
    for (const { name } of queue) {
      if (this.stopping) break;
      const announced = await this.read(name);
      if (!announced) continue;
      const done = this.file(name, announced).finally(() => waiting.delete(done));
      waiting.add(done);
      if (waiting.size >= this.options.maxConcurrentSubmits) await Promise.race(waiting);
    }
    await Promise.all(waiting);
  }

  /** Reads one message of `new/`: its announced files, or undefined once it was refused (or failed). */
  async read(name: string): Promise<Announced[] | undefined> {
    const path = join(this.newDir, name);
    const envelope: Envelope = { receivedAt: Date.now() };
    try {
      const size = (await stat(path)).size;
      if (size > this.options.maxMessageBytes) {
        const reason = `the message has ${size} bytes, more than maxMessageBytes (${this.options.maxMessageBytes})`;
        return void (await this.refuse(name, { path }, { code: 'MAIL_TOO_LARGE', reasons: [reason] }, envelope));
      }
      const raw = await readFile(path);
      const intake = await readAnnouncement(raw, envelope, this.settings);
      if (!intake.ok) return void (await this.refuse(name, raw, intake.rejection, envelope));
      return intake.announced;
    } catch (error) {
      return void this.failed(name, error);
    }
  }

  /** Submits the files of a message, then files it in cur/ as Seen. */
  async file(name: string, announced: Announced[]): Promise<void> {
    try {
      await this.gate.submitAll(announced);
      await rename(join(this.newDir, name), join(this.curDir, `${baseOf(name)}:2,S`));
      await syncDirectory(this.curDir);
      this.alerted.delete(name);
    } catch (error) {
      this.failed(name, error);
    }
  }

  /** Alerts once per message about a failure; the message stays in new/ and is read again next poll. */
  failed(name: string, error: unknown): void {
    const path = join(this.newDir, name);
    const e = toIngestError(error, { file: path });
    if (this.stopping || e.code === 'FILE_NOT_FOUND' || this.alerted.has(name)) return;
    this.alerted.add(name);
    alertFrom(this.sink, this.options.name, e, path);
  }

  async refuse(name: string, message: Uint8Array | { path: string }, rejection: Parameters<typeof keepRejected>[3], envelope: Envelope): Promise<void> {
    await keepRejected(this.sink, this.rejectedDir, message, rejection, envelope, this.options.name, baseOf(name));
    await unlink(join(this.newDir, name));
    this.alerted.delete(name);
  }
}

/**
 * Creates the Maildir trigger. `start()` resolves at once; `new/` is read right away, then every
 * `pollIntervalMs`; `stop()` ends polling and resolves once the submits in flight have finished (a message
 * interrupted half-way stays in `new/` and is read again at the next start).
 *
 * @throws IngestError INVALID_OPTIONS when an option is wrong (among them: no authentication configured).
 */
export function createMaildirTrigger(input: MaildirTriggerOptions): Trigger {
  const options = parseOptions(maildirTriggerOptionsSchema, input, 'the Maildir trigger');
  const settings = intakeSettings(options.name, options);
  let poller: Poller | undefined;
  const lifecycle = startStop({
    name: `trigger "${options.name}"`,
    async start(sink: TriggerSink) {
      await mailParser();
      const run = new Poller(options, settings, sink);
      poller = run;
      run.loop = run.run();
    },
    async stop() {
      const run = poller;
      poller = undefined;
      if (!run) return;
      run.abort.abort();
      const gateClosed = run.gate.close();
      await run.loop;
      await gateClosed;
    },
  });
  return { name: options.name, capabilities: { continuous: true, announcesComplete: true }, start: lifecycle.start, stop: lifecycle.stop };
}
