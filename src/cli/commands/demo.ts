/**
 * `fits-ingest demo`: a simulated night, ingested live. An instrument simulator writes calibrations, science
 * frames, a slowly written frame, a duplicate and broken files into an incoming folder; fits-ingest watches the
 * folder and archives into an SQLite catalog; a live display and a final summary show what happened.
 */
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { FileRecord } from '../../core/lifecycle/record.js';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';

interface DemoOptions {
  dir?: string;
  files: string;
  duration: string;
  size: string;
  trigger: string;
  json?: boolean;
  /** false with --no-reprocess */
  reprocess: boolean;
  /** false with --no-quicklook */
  quicklook: boolean;
}

/** The p-th percentile (0–100) of sorted numbers. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function registerDemoCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description('simulate a night: an instrument writes frames (and some broken ones), then the weather table, log and notes of the night, while fits-ingest archives them live')
    .option('--dir <dir>', 'where to put incoming/, archive/ and the catalog (default: a new temp dir)')
    .option('--files <n>', 'number of files the instrument writes', '40')
    .option('--duration <seconds>', 'length of the simulated night', '60')
    .option('--size <pixels>', 'frame side in pixels (16-bit; 512 = 0.5 MB)', '512')
    .option('--trigger <kind>', 'how fits-ingest learns of new files: filesystem (watch the folder) or keyword (the instrument announces each file over ZeroMQ, mKTL style)', 'filesystem')
    .option('--json', 'one JSON object per event and line, then a summary object')
    .option('--no-reprocess', 'no processing at all: neither quick-look nor the end of the night')
    .option('--no-quicklook', 'instead of quick-look on arrival and closing the night, end by reprocessing program K123 through the example pipeline')
    .addHelpText('after', '\nExamples:\n  fits-ingest demo\n  fits-ingest demo --files 100 --duration 30 --dir /tmp/night\n  fits-ingest demo --trigger keyword')
    .action(async (options: DemoOptions) => {
      const files = Number(options.files);
      const seconds = Number(options.duration);
      const side = Number(options.size);
      if (!(files >= 1) || !(seconds >= 0) || !(side >= 8)) {
        io.stderr.write('fits-ingest demo: --files must be ≥ 1, --duration ≥ 0, --size ≥ 8\n');
        return setExit(EXIT_USAGE);
      }
      if (options.trigger !== 'filesystem' && options.trigger !== 'keyword') {
        io.stderr.write(`fits-ingest demo: --trigger must be filesystem or keyword, not ${JSON.stringify(options.trigger)}\n`);
        return setExit(EXIT_USAGE);
      }
      const { planNight, runNight } = await import('../../simulator/night.js');
      const { createFilesystemTrigger } = await import('../../adapters/triggers/filesystem.js');
      const { ingestorFromOptions } = await import('../_run-ingestor.js');
      const { default: cliProgress } = await import('cli-progress');
      const root = resolve(options.dir ?? mkdtempSync(join(tmpdir(), 'fits-ingest-demo-')));
      const incoming = join(root, 'incoming');
      const archive = join(root, 'archive');
      mkdirSync(incoming, { recursive: true });
      const plan = planNight({ files });
      // The night's weather table, observing log and observer notes, wrapped as FITS FOREIGN files, arrive after
      // the frames and are archived as attachments of the night (and of program K123 for the notes).
      const { makeNightAttachments, writeNightAttachments } = await import('../../simulator/attachments.js');
      const attachments = makeNightAttachments({ frames: plan.length });
      const expected = new Map<string, string>([
        ...plan.map((f) => [join(incoming, f.name), f.expect] as const),
        ...attachments.map((a) => [join(incoming, a.fitsName), 'ARCHIVED'] as const),
      ]);
      const writtenAt = new Map<string, number>();
      const outcomes = new Map<string, FileRecord>();
      const latencies: number[] = [];
      const tty = Boolean((io.stdout as { isTTY?: boolean }).isTTY) && !options.json;
      let ingestor;
      let quickLook: import('../_demo-quicklook.js').DemoQuickLookRun | undefined;
      let keywords: import('../../simulator/keywords.js').InstrumentKeywords | undefined;
      try {
        let trigger: import('../../core/ports/trigger.js').Trigger;
        if (options.trigger === 'keyword') {
          // The simulated instrument publishes each finished file on its camera's key; KCWI's description says which.
          const { startInstrumentKeywords } = await import('../../simulator/keywords.js');
          const { createZeromqKeywordSource } = await import('../../adapters/keyword-sources/zeromq.js');
          const { createKeywordTrigger } = await import('../../adapters/triggers/keyword.js');
          const { builtinInstrument } = await import('../../instruments/builtin/index.js');
          keywords = await startInstrumentKeywords();
          const source = createZeromqKeywordSource({ endpoint: keywords.endpoint, requestEndpoint: keywords.requestEndpoint });
          trigger = createKeywordTrigger({ source, instrument: builtinInstrument('kcwi'), roots: [incoming] });
        } else trigger = createFilesystemTrigger({ paths: [incoming], debounceMs: 50 });
        const quick = options.reprocess && options.quicklook ? await import('../_demo-quicklook.js') : undefined;
        ({ ingestor } = await ingestorFromOptions(
          { archive, json: options.json ?? false },
          { triggers: [trigger], stability: { quietMs: 400, pollMs: 100, settleMs: 3000 }, retry: { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 2000 }, ...(quick ? { instruments: await quick.demoInstruments() } : {}) },
        ));
        const bars = tty ? new cliProgress.MultiBar({ format: ' {bar} {value}/{total} {label}', hideCursor: true, clearOnComplete: false, stream: process.stdout }, cliProgress.Presets.shades_classic) : undefined;
        const writtenBar = bars?.create(expected.size, 0, { label: 'written by the instrument' });
        const doneBar = bars?.create(expected.size, 0, { label: 'finished by fits-ingest' });
        const say = (line: string, json: Record<string, unknown>): void => {
          if (options.json) printJsonLine(io, json);
          else if (bars) bars.log(`${line}\n`);
          else io.stdout.write(`${line}\n`);
        };
        const finished = (record: FileRecord): void => {
          if (outcomes.has(record.source) || !expected.has(record.source)) return; // quick-look products are reported apart
          outcomes.set(record.source, record);
          const at = writtenAt.get(record.source);
          if (record.state === 'ARCHIVED' && at !== undefined) latencies.push(Date.now() - at);
          doneBar?.increment();
          const code = record.error?.code ?? (record.state === 'DUPLICATE' ? `of ${record.duplicateOf}` : record.archiveId ?? '');
          say(`${record.state.padEnd(9)} ${record.originalName}  ${code}`, { event: record.state.toLowerCase(), file: record.originalName, archiveId: record.archiveId ?? null, code: record.error?.code ?? null });
        };
        ingestor.on('archived', finished).on('invalid', finished).on('duplicate', finished).on('abandoned', finished);
        await ingestor.start();
        quickLook = quick ? await quick.startDemoQuickLook(ingestor, archive, root) : undefined;
        if (quickLook && !options.json) io.stdout.write('fits-ingest demo: quick-look on arrival: each science frame is reduced by examples/pipelines/imager_reduce.py once the night\'s biases and flats are archived\n');
        if (!options.json) io.stdout.write(`fits-ingest demo: the instrument writes ${plan.length} files into ${incoming} over ${seconds} s, then ${attachments.length} night attachments; archive: ${archive}\n`);
        if (keywords && !options.json) io.stdout.write(`fits-ingest demo: keyword-triggered: the instrument announces each file on ${keywords.endpoint}\n`);
        const started = Date.now();
        await runNight(plan, {
          dir: incoming,
          durationMs: seconds * 1000,
          axes: [side, side],
          onWritten: async (file, path, at) => {
            writtenAt.set(path, at);
            writtenBar?.increment();
            await keywords?.announce(file, path);
          },
        });
        for (const path of await writeNightAttachments(incoming, attachments)) {
          writtenAt.set(path, Date.now());
          writtenBar?.increment();
          // The keyword monitor announces frames only: the attachments are submitted as a host program would.
          if (keywords) await ingestor.submit({ path, trigger: 'demo', detectedAt: Date.now(), complete: true });
        }
        // Let the last files through (stability wait, broken files settling).
        const deadline = Date.now() + 30_000;
        while (outcomes.size < expected.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        bars?.stop();
        const elapsed = (Date.now() - started) / 1000;
        const counts: Record<string, number> = {};
        for (const r of outcomes.values()) counts[r.state] = (counts[r.state] ?? 0) + 1;
        const surprises = [...expected]
          .filter(([path, state]) => outcomes.get(path)?.state !== state)
          .map(([path, state]) => ({ file: basename(path), expected: state, got: outcomes.get(path)?.state ?? 'not finished' }));
        latencies.sort((a, b) => a - b);
        const summary = {
          dir: root,
          files: expected.size,
          trigger: options.trigger,
          counts,
          seconds: Number(elapsed.toFixed(1)),
          latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
          surprises,
          catalog: join(archive, 'catalog.sqlite'),
        };
        // The end of the night: program K123 asks for reduced products with the night's certified calibrations.
        const reprocess = async () => {
          const { reprocessProgram } = await import('../_demo-reprocess.js');
          ingestor!.off('archived', finished).off('invalid', finished).off('duplicate', finished).off('abandoned', finished);
          const done = await reprocessProgram(ingestor!, archive, root);
          if (done.failed.length > 0 || done.requests === 0) setExit(EXIT_CHECK_FAILED);
          return done;
        };
        // Quick-look: wait for the last ones, close the night (one level-2 batch), report the latencies.
        const closing = async () => {
          const q = await quickLook!.finish();
          if (q.failed.length > 0 || q.done === 0 || q.nights.some((n) => n.failed > 0 || n.state !== 'CLOSED')) setExit(EXIT_CHECK_FAILED);
          return q;
        };
        // JSON: the summary stays the last line, with the reprocessing in it.
        if (options.json) printJsonLine(io, { event: 'summary', ...summary, ...(quickLook ? { quicklook: await closing() } : options.reprocess ? { reprocessed: await reprocess() } : {}) });
        else {
          io.stdout.write(`\nSummary: ${expected.size} files in ${summary.seconds} s — ${Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ')}\n`);
          io.stdout.write(`Latency from file written to ARCHIVED: p50 ${summary.latencyMs.p50} ms, p99 ${summary.latencyMs.p99} ms\n`);
          for (const r of outcomes.values()) if (r.state === 'INVALID') io.stdout.write(`  INVALID ${r.originalName}: ${r.error?.code}\n`);
          io.stdout.write(surprises.length ? `Unexpected outcomes: ${JSON.stringify(surprises)}\n` : 'Every file ended as expected: good frames and attachments archived, broken ones quarantined, the copy recognized.\n');
          io.stdout.write(`\nLook around:\n  fits-ingest status --catalog sqlite:${summary.catalog}\n  fits-ingest catalog query --catalog sqlite:${summary.catalog} --instrument KCWI --where "koaimtyp = object"\n  fits-ingest catalog query --catalog sqlite:${summary.catalog} --instrument ATTACHMENT\n  fits-ingest checksum verify ${archive}/KCWI/*/lev0/*.fits\n  fits-ingest distribute --catalog sqlite:${summary.catalog} --program K123 --out ${join(root, 'package')}\n`);
        }
        setExit(surprises.length ? EXIT_CHECK_FAILED : EXIT_OK);
        if (quickLook && !options.json) {
          io.stdout.write('\nWaiting for the last quick-looks, then closing the night (masters from every calibration, the full reduction as one level-2 batch)…\n');
          const q = await closing();
          const ms = (s: { p50: number; p99: number } | undefined): string => (s ? `p50 ${(s.p50 / 1000).toFixed(2)} s, p99 ${(s.p99 / 1000).toFixed(2)} s` : '-');
          io.stdout.write(`Quick-look: ${q.done} of ${q.frames} science frames have a level-1 product (${q.waited} waited for the night's masters first)\n`);
          io.stdout.write(`  file complete → ARCHIVED:            ${ms(q.latencyMs.archived)}\n  file complete → quick-look ARCHIVED: ${ms(q.latencyMs.quicklook)}\n  ARCHIVED → quick-look ARCHIVED:      ${ms(q.latencyMs.processing)}   (the pipeline's own run: ${ms(q.pipelineMs)})\n`);
          for (const f of q.failed) io.stdout.write(`  FAILED ${f.archiveId}: ${f.code} ${f.message}\n`);
          for (const n of q.nights) io.stdout.write(`Night ${n.night} ${n.state}: masters ${n.masters.join(', ')}; ${n.products} level-2 products in one released batch (${n.failed} failed)\n`);
          io.stdout.write(`  fits-ingest status --catalog sqlite:${summary.catalog}\n  fits-ingest catalog query --catalog sqlite:${summary.catalog} --level 1\n`);
        } else if (options.reprocess && !options.json) {
          io.stdout.write('\nReprocessing program K123 with the night\'s certified calibrations (examples/pipelines/imager_reduce.py, 2 processing areas)…\n');
          const done = await reprocess();
          io.stdout.write(`Reprocessed: ${done.done} of ${done.requests} requests DONE with ${done.calibrationSet} in ${done.seconds} s; ${done.products.length} level-2 products archived, e.g. ${done.products.slice(0, 3).join(', ')}\n`);
          for (const f of done.failed) io.stdout.write(`  FAILED ${f.id}: ${f.code} ${f.message}\n`);
          io.stdout.write(`  fits-ingest requests list --archive ${archive}\n`);
        }
      } catch (error) {
        io.stderr.write(`fits-ingest demo: ${errorLine(error)}\n`);
        setExit(EXIT_USAGE);
      } finally {
        await quickLook?.stop();
        await ingestor?.stop();
        await ingestor?.catalog.close();
        await keywords?.close();
      }
    });
}
