/** What the processing service's parts share. Internal. @module */
import type { Catalog } from '../core/ports/catalog.js';
import type { ProcessingStore } from '../core/ports/processing-store.js';
import type { ProcessingRequest } from '../core/processing/request.js';
import type { Processor } from '../core/ports/processor.js';
import type { Ingestor } from '../core/runtime/engine.js';
import type { InstrumentDescription } from '../core/instruments/schema.js';

/** The service's ports and settings. */
export interface ServiceContext {
  store: ProcessingStore;
  ingestor: Ingestor;
  catalog: Catalog;
  processor: Processor;
  instruments: readonly InstrumentDescription[];
  /** Calibration kind the processor needs. */
  kind: string;
  /** Image types of the raw frames a program or night selection reprocesses. */
  scienceTypes: readonly string[];
  /** Fallback limit (ms) per instrument when nothing is certified for a frame's time. */
  fallbackMs(instrument: string): number;
  /** Where products wait until archived (one folder per request). */
  outbox: string;
  now(): number;
  newId(): string;
  /** Called after a request reached DONE, FAILED or CANCELLED (delivery to the requester). */
  onFinal?(request: ProcessingRequest): void;
}
