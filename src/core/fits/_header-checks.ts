/**
 * The structural checks of a header read from a file (order and fixed format of the mandatory keywords,
 * duplicates) and the error strict reading throws. Internal to src/core/fits.
 */
import { IngestError, type ErrorContext } from '../errors.js';
import { CARD } from './bytes.js';
import type { Card, HeaderIssue } from './header-card.js';

const MANDATORY_FIXED = /^(SIMPLE|BITPIX|NAXIS\d*|XTENSION|PCOUNT|GCOUNT|END)$/;

/** One NONCONFORMING_HEADER error listing every issue with its card number. */
export function nonconforming(issues: HeaderIssue[], context: ErrorContext): IngestError {
  const list = issues.map((i) => `card ${i.card}${i.keyword ? ` (${i.keyword})` : ''}: ${i.code} ${i.message}`);
  return new IngestError('NONCONFORMING_HEADER', `${issues.length} violation(s) of the FITS standard: ${list.join('; ')}`, {
    context: { ...context, card: issues[0]!.card, issues: issues.map((i) => `${i.card}:${i.code}`) },
  });
}

/**
 * Structural checks of the mandatory keywords (order and fixed format) and duplicate keywords, added to
 * `issues`. Card numbers are physical (1-based).
 */
export function checkStructure(cards: Card[], issues: HeaderIssue[]): void {
  let physical = 1;
  const numbers: number[] = [];
  for (const card of cards) {
    numbers.push(physical);
    physical += (card.raw?.length ?? CARD) / CARD;
  }
  const first = cards[0]?.keyword;
  const expected: string[] = first === 'XTENSION' ? ['XTENSION', 'BITPIX', 'NAXIS'] : ['SIMPLE', 'BITPIX', 'NAXIS'];
  const naxisCard = cards[2];
  const naxis = naxisCard?.keyword === 'NAXIS' && typeof naxisCard.value === 'number' ? naxisCard.value : 0;
  for (let n = 1; n <= naxis && n < 1000; n++) expected.push(`NAXIS${n}`);
  if (first === 'XTENSION') expected.push('PCOUNT', 'GCOUNT');
  expected.forEach((keyword, i) => {
    const card = cards[i];
    if (card?.keyword !== keyword) {
      issues.push({
        code: 'MANDATORY_ORDER',
        card: numbers[i] ?? physical,
        keyword,
        message: `card ${i + 1} must be ${keyword}, found ${card ? card.keyword || '(blank)' : 'nothing'}`,
      });
    }
  });
  const seen = new Map<string, number>();
  cards.forEach((card, i) => {
    if (card.kind !== 'value' && card.kind !== 'malformed') return;
    const raw = card.raw;
    if (raw !== undefined && MANDATORY_FIXED.test(card.keyword) && !card.hierarch && card.kind === 'value') {
      const fixed =
        card.valueType === 'string' ? raw[10] === "'" : raw.slice(10, 30).trim() !== '' && raw[29] !== ' ';
      if (!fixed) {
        issues.push({
          code: 'NOT_FIXED_FORMAT',
          card: numbers[i]!,
          keyword: card.keyword,
          message: `${card.keyword} must be in fixed format (value ending in column 30, strings from column 11)`,
        });
      }
    }
    const earlier = seen.get(card.keyword);
    if (earlier !== undefined) {
      issues.push({
        code: 'DUPLICATE_KEYWORD',
        card: numbers[i]!,
        keyword: card.keyword,
        message: `${card.keyword} already appears on card ${earlier}`,
      });
    } else {
      seen.set(card.keyword, numbers[i]!);
    }
  });
}
