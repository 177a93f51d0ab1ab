/** An archived file as processing rules see it (header, image type, level). Internal. @module */
import type { HeaderValue } from '../core/instruments/header-view.js';
import { headerViewFrom } from '../core/instruments/header-view.js';
import type { ProcessingFrame } from '../core/instruments/processing.js';
import type { ArchivedFile } from '../core/ports/catalog.js';

/** The cataloged primary header (first card of each keyword wins), image type and level of `file`. */
export function frameView(file: Pick<ArchivedFile, 'header' | 'imageType' | 'level'>): ProcessingFrame {
  const values: Record<string, HeaderValue> = {};
  for (const card of file.header) {
    if (card.value !== undefined && !Object.hasOwn(values, card.keyword)) values[card.keyword] = card.value as HeaderValue;
  }
  return { header: headerViewFrom(values), imageType: file.imageType, level: file.level };
}
