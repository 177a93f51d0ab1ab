/**
 * Provenance keywords of a product: which calibration set (and version, and how it was chosen), which processor
 * (and version), which inputs (archive ids and SHA-256). The processing service hands them to the pipeline in the
 * manifest, the pipeline writes them into each product's primary header, and the service refuses a product whose
 * header does not carry them. Pure.
 *
 * @module
 */
import type { CalibrationChoice } from './calibration-set.js';
import type { RequestInput } from './request.js';

/** One provenance card. */
export interface ProvenanceCard {
  keyword: string;
  value: string | number | boolean;
  comment: string;
}

/** What a product's provenance is made of. */
export interface ProvenanceSource {
  requestId: string;
  processor: { name: string; version: string };
  choice: CalibrationChoice;
  inputs: readonly Pick<RequestInput, 'archiveId' | 'sha256'>[];
}

/** The cards every product of the job must carry, in order. */
export function provenanceCards(source: ProvenanceSource): ProvenanceCard[] {
  const cards: ProvenanceCard[] = [
    { keyword: 'PROCNAME', value: source.processor.name, comment: 'processor that made this product' },
    { keyword: 'PROCVERS', value: source.processor.version, comment: 'processor version' },
    { keyword: 'CALSET', value: source.choice.setId, comment: 'calibration set used' },
    { keyword: 'CALVERS', value: source.choice.version, comment: 'calibration set version' },
    { keyword: 'CALEXACT', value: source.choice.exact, comment: 'set certified for the observation time' },
    { keyword: 'CALDIST', value: Number((source.choice.distanceMs / 3_600_000).toFixed(4)), comment: '[h] distance to the certified range' },
    { keyword: 'PROCREQ', value: source.requestId, comment: 'fits-ingest processing request' },
    { keyword: 'NINPUTS', value: source.inputs.length, comment: 'number of raw inputs' },
  ];
  source.inputs.forEach((input, i) => {
    cards.push({ keyword: `PARENT${i + 1}`, value: input.archiveId, comment: 'raw input archive id' });
    // 64 hex digits leave no room for a comment in one card.
    cards.push({ keyword: `INDIG${i + 1}`, value: input.sha256, comment: '' });
  });
  return cards;
}

/**
 * The provenance cards a header lacks or holds with another value (`get` reads the product's primary header).
 * The request id is not compared: a rerun after a crash may find the product of the earlier attempt.
 */
export function missingProvenance(cards: readonly ProvenanceCard[], get: (keyword: string) => unknown): string[] {
  return cards
    .filter((card) => card.keyword !== 'PROCREQ')
    .filter((card) => {
      const value = get(card.keyword);
      if (typeof card.value === 'number') return typeof value !== 'number' || Math.abs(value - card.value) > 1e-6;
      return value !== card.value;
    })
    .map((card) => card.keyword);
}
