/**
 * Processor port: one pipeline step. Inputs (raw frames) and a calibration set go in, product files and a log come
 * out. Adapters: an in-process function, and an external command that runs any pipeline (e.g. a Python DRP) in
 * its processing area with a JSON manifest.
 *
 * @module
 */
import type { ProvenanceCard } from '../processing/provenance.js';

/** A file the processor reads: a raw input or a calibration file, with where its archived copy is. */
export interface ProcessorFile {
  archiveId: string;
  path: string;
  sha256: string;
}

/** A calibration file with its role (`bias`, `flat`…). */
export interface ProcessorCalibrationFile extends ProcessorFile {
  role: string;
}

/** One job: what a processor is asked to do. */
export interface ProcessorJob {
  requestId: string;
  /** The processing area: a work directory only this job uses while it runs. */
  area: { name: string; dir: string };
  inputs: ProcessorFile[];
  calibration: { setId: string; instrument: string; kind: string; version: number; files: ProcessorCalibrationFile[] };
  /** Where products must be written (inside the area). */
  outputDir: string;
  /** Cards to write into every product's primary header (the service refuses products without them). */
  provenance: ProvenanceCard[];
  /** What the pipeline is asked for (`quicklook`: a level-1 product per frame; `full`: level 2); absent for a reprocessing request. */
  mode?: 'quicklook' | 'masters' | 'full';
  /** Aborts the job (cancellation, shutdown). */
  signal: AbortSignal;
}

/** One product file the processor wrote. */
export interface ProcessorProduct {
  /** Absolute path inside `outputDir`. */
  path: string;
  /** 1 quick-look, 2 science-ready. */
  level: 1 | 2;
  /** Archive ids of the inputs it was made from (a subset of the job's inputs). */
  parents: string[];
}

/** What a finished job produced. */
export interface ProcessorResult {
  products: ProcessorProduct[];
  /** What the pipeline printed (stdout and stderr, interleaved as it came). */
  log: string;
}

/** What a processor can do. */
export interface ProcessorCapabilities {
  /** Runs outside this process (a crash of the pipeline cannot take the scheduler down). */
  isolated: boolean;
}

/**
 * A pipeline step. `run` rejects with an IngestError carrying the log in `context.log` when the step fails
 * (PROCESSOR_FAILED), hangs past its timeout (PROCESSOR_TIMEOUT) or is aborted (ABORTED).
 */
export interface Processor {
  /** Written into the products' provenance (PROCNAME). */
  readonly name: string;
  /** Part of the result-cache key (PROCVERS): a new version reruns what the old one built. */
  readonly version: string;
  readonly capabilities: ProcessorCapabilities;
  run(job: ProcessorJob): Promise<ProcessorResult>;
}

/**
 * Name of the file in a processing area where an isolated processor records the process group it started, so a
 * scheduler restarted after a crash can kill a pipeline still running there before cleaning the area.
 */
export const PROCESS_GROUP_FILE = '.process-group';
