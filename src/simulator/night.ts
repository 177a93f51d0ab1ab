/**
 * A simulated night at an instrument: calibrations, science frames on two cameras, one frame written slowly,
 * a duplicate copy and a few broken files, written into a folder over a chosen duration. Used by
 * `fits-ingest demo`, the tests and the benchmarks.
 *
 * @module
 */
import { mkdir, rename, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { frameName, makeBrokenFile, makeFrame, type Breakage, type FrameKind } from './frames.js';

/** One file of the night. */
export interface PlannedFile {
  name: string;
  kind: FrameKind;
  camera: 'BLUE' | 'RED';
  frameNumber: number;
  /** UT of the exposure start. */
  time: Date;
  /** What the archive should make of it. */
  expect: 'ARCHIVED' | 'INVALID' | 'DUPLICATE';
  breakage?: Breakage;
  /** Written in pieces over a few seconds, as slow instruments do. */
  slow?: boolean;
  /** A byte-identical copy of another file of the night. */
  copyOf?: string;
}

/** Options of {@link planNight}. */
export interface NightPlanOptions {
  /** Number of files. @default 40 */
  files?: number;
  /** UT of the first exposure. @default 2026-11-20T05:00:00Z */
  start?: Date;
  /** Include broken files, a slow writer and a duplicate. @default true */
  trouble?: boolean;
}

/** The files of a night, in the order they are written. */
export function planNight(options: NightPlanOptions = {}): PlannedFile[] {
  const count = Math.max(options.files ?? 40, 1);
  const start = options.start ?? new Date(Date.UTC(2026, 10, 20, 5, 0, 0));
  const trouble = options.trouble ?? true;
  const plan: PlannedFile[] = [];
  let frame = 0;
  const add = (kind: FrameKind, camera: 'BLUE' | 'RED', extra: Partial<PlannedFile> = {}): void => {
    frame++;
    const time = new Date(start.getTime() + frame * 97_130 + (frame % 100) * 10);
    plan.push({ name: frameName({ time, frameNumber: frame, camera }), kind, camera, frameNumber: frame, time, expect: 'ARCHIVED', ...extra });
  };
  const sequence: FrameKind[] = ['bias', 'bias', 'bias', 'flatlamp', 'flatlamp', 'arclamp', 'arclamp'];
  for (let i = 0; plan.length < count; i++) {
    const kind = i < sequence.length ? sequence[i]! : i % 9 === 8 ? 'arclamp' : 'object';
    add(kind, i % 2 === 0 ? 'BLUE' : 'RED');
  }
  if (trouble && count >= 12) {
    plan[Math.floor(count / 3)]!.slow = true;
    const broken: Breakage[] = ['truncated', 'not-fits', 'empty'];
    broken.forEach((breakage, k) => {
      const at = Math.floor(((k + 1) * count) / 4) + 1;
      plan[at] = { ...plan[at]!, breakage, expect: 'INVALID', name: `${plan[at]!.name.replace('.fits', '')}_${breakage}.fits` };
    });
    const original = plan[Math.floor(count / 2)]!;
    if (original.expect === 'ARCHIVED') {
      plan.splice(Math.floor(count / 2) + 2, 0, { ...original, name: `copy_of_${original.name}`, copyOf: original.name, expect: 'DUPLICATE', slow: false });
      plan.pop();
    }
  }
  return plan;
}

/** Options of {@link runNight}. */
export interface RunNightOptions {
  /** Folder the instrument writes into. */
  dir: string;
  /** Time over which the files are spread. @default 60000 */
  durationMs?: number;
  /** Image size of each frame (16-bit). @default [512, 512] (0.5 MB) */
  axes?: [number, number];
  /** Called when a file is completely written. */
  onWritten?: (file: PlannedFile, path: string, at: number) => void | Promise<void>;
  signal?: AbortSignal;
}

/** Writes the planned files into `dir`, spread over `durationMs`. */
export async function runNight(plan: readonly PlannedFile[], options: RunNightOptions): Promise<void> {
  await mkdir(options.dir, { recursive: true });
  const gap = (options.durationMs ?? 60_000) / Math.max(plan.length, 1);
  const written = new Map<string, Uint8Array>();
  for (const file of plan) {
    const started = Date.now();
    options.signal?.throwIfAborted();
    const path = join(options.dir, file.name);
    let bytes = file.copyOf ? written.get(file.copyOf)! : makeFrame({ time: file.time, frameNumber: file.frameNumber, camera: file.camera, kind: file.kind, axes: options.axes ?? [512, 512] });
    written.set(file.name, bytes);
    if (file.breakage) bytes = makeBrokenFile(file.breakage, bytes);
    if (file.slow) {
      const handle = await open(path, 'w');
      const pieces = 6;
      const size = Math.ceil(bytes.length / pieces);
      for (let at = 0; at < bytes.length; at += size) {
        await handle.write(bytes.subarray(at, at + size));
        await delay(Math.min(600, Math.max(gap, 200)));
      }
      await handle.close();
    } else {
      // Most instruments write the whole file quickly; write then rename so watchers see it whole.
      const temp = join(options.dir, `.${file.name}.writing`);
      await writeFile(temp, bytes);
      await rename(temp, path);
    }
    await options.onWritten?.(file, path, Date.now());
    const rest = gap - (Date.now() - started);
    if (rest > 0) await delay(rest, undefined, options.signal ? { signal: options.signal } : {});
  }
}
