/**
 * Trigger port: something that announces new files (a folder watcher, a control-system keyword, a mail queue,
 * an HTTP upload). Every trigger produces the same {@link WorkItem}; the runtime does the rest.
 *
 * @module
 */
import type { Level } from '../lifecycle/record.js';

/** A file announced by a trigger. */
export interface WorkItem {
  /** Absolute path of the file on this machine. */
  path: string;
  /** Name of the trigger that found it. */
  trigger: string;
  /** When the trigger saw it (epoch ms). */
  detectedAt: number;
  /** Size and mtime when the trigger saw it, if it looked. */
  size?: number;
  mtimeMs?: number;
  /** The instrument, when the trigger knows it (e.g. the keyword monitor of one instrument). */
  instrument?: string;
  /** @default 0 */
  level?: Level;
  /** Archive ids of the raw parents of a product. */
  parents?: string[];
  /**
   * True when the trigger knows writing is finished (e.g. the control system announces a closed file); the
   * runtime still checks the file is whole.
   */
  complete?: boolean;
  /** Extra data carried to the record (e.g. STB volume/member/HDU of a mail announcement). */
  metadata?: Record<string, string | number | boolean>;
}

/** Where a trigger delivers work. `submit` resolves once the item is recorded (back-pressure). */
export interface TriggerSink {
  submit(item: WorkItem): Promise<void>;
  /** Something the operator should know that is not a file (a stale heartbeat, a rejected announcement…). */
  alert(alert: TriggerAlert): void;
}

/** A trigger-level problem, surfaced as an event. */
export interface TriggerAlert {
  trigger: string;
  code: string;
  message: string;
  path?: string;
}

/** What a trigger can do; the runtime branches on these, never on names. */
export interface TriggerCapabilities {
  /** Keeps announcing until stopped (false for one-shot scans). */
  continuous: boolean;
  /** Announces files only once complete (the runtime can skip its stability wait). */
  announcesComplete: boolean;
}

/** A source of work items. */
export interface Trigger {
  readonly name: string;
  readonly capabilities: TriggerCapabilities;
  /** Starts announcing into `sink`. Resolves once the trigger is running (for a one-shot scan: once done). */
  start(sink: TriggerSink): Promise<void>;
  /** Stops announcing; resolves when no further submit() will happen. Idempotent. */
  stop(): Promise<void>;
}
