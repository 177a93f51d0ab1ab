/**
 * Transport port: moves a prepared file to an archive destination and proves the bytes arrived intact.
 *
 * @module
 */
import type { Level } from '../lifecycle/record.js';

/** Sums of one HDU of the prepared file. */
export interface HduSums {
  index: number;
  /** DATASUM as computed (unsigned 32-bit). */
  datasum: number;
  /** The CHECKSUM value written in the header. */
  checksum: string;
}

/** One file to move. */
export interface TransferRequest {
  recordId: string;
  archiveId: string;
  instrument: string;
  level: Level;
  /** Observation night, YYYY-MM-DD. */
  night: string;
  /** The prepared copy on this machine. */
  path: string;
  size: number;
  /** SHA-256 (hex) of the prepared copy: the destination must hold exactly these bytes. */
  sha256: string;
  hdus: HduSums[];
  originalName: string;
  /** Metadata stored next to the archived file (sidecar JSON). */
  sidecar: Record<string, unknown>;
  /**
   * An explicit reingest: different content under an archived id is a new version. A transport never overwrites
   * the archived bytes (the superseded version keeps them at its location); the receipt names where the new
   * version is. @default false
   */
  replace?: boolean;
}

/** What {@link Transport.discard} needs to find a record's copy. */
export type DiscardTarget = Pick<TransferRequest, 'recordId' | 'archiveId' | 'instrument' | 'level' | 'night' | 'sha256'> & {
  /** Locations the catalog lists for the archive id (any version): never removed, whoever placed them. */
  keep: readonly string[];
};

/** Proof that a destination holds the file. */
export interface TransferReceipt {
  /** Where the archived copy lives (absolute path or URL). */
  location: string;
  /** SHA-256 computed from the bytes at the destination. */
  sha256: string;
  size: number;
  /** The destination already held identical bytes (a retry after a crash, a duplicate push). */
  alreadyPresent: boolean;
  startedAt: number;
  finishedAt: number;
}

/** A destination for archived files. */
export interface Transport {
  readonly name: string;
  /**
   * Puts the file at the destination and verifies it there. Idempotent: when identical bytes are already in
   * place it returns a receipt with `alreadyPresent`. When different bytes hold the archive id and `replace` is
   * not set it throws ARCHIVE_ID_CONFLICT.
   */
  transfer(request: TransferRequest, signal?: AbortSignal): Promise<TransferReceipt>;
  /**
   * Takes back what {@link transfer} put in place for a record that was then given up (ABANDONED) before the
   * catalog listed it — only bytes this record placed (never another record's archived file). Without it, such a
   * copy stays until an operator removes it.
   */
  discard?(target: DiscardTarget): Promise<void>;
  /** Called after the catalog committed the file (e.g. to append it to the night's digest manifest). */
  committed?(request: TransferRequest, receipt: TransferReceipt): Promise<void>;
  /** Releases what the transport holds (connections…). The engine calls it when it stops. */
  close?(): Promise<void>;
}
