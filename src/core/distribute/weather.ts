/**
 * A weather station's table (CSV: a UT time, then numbers) read as columns for a chart, pure. Used by the portal's
 * weather chart and the distribution package's.
 *
 * @module
 */

/** A weather table as columns: times (epoch seconds) and one array of values per column (null where empty). */
export interface WeatherSeries {
  columns: string[];
  t: number[];
  values: (number | null)[][];
}

/**
 * Parses a weather table. The first column is a UT time: a full date-time (`2026-11-21T06:00`, with or without
 * `Z`), or a time of day (`06:00`, `06:00:30`) taken on `night` (YYYY-MM-DD) and rolled to the next day when the
 * times go back past midnight. Lines whose time cannot be read are skipped.
 */
export function parseWeather(text: string, night?: string): WeatherSeries {
  const [head, ...lines] = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const columns = (head ?? '').split(',').slice(1).map((c) => c.trim());
  const t: number[] = [];
  const values: (number | null)[][] = columns.map(() => []);
  let dayOffset = 0;
  let previous = -Infinity;
  for (const line of lines) {
    const cells = line.split(',');
    const cell = cells[0]!.trim();
    let at: number;
    if (/^\d{1,2}:\d{2}(:\d{2})?$/.test(cell) && night) {
      at = Date.parse(`${night}T${cell.padStart(cell.indexOf(':') === 1 ? cell.length + 1 : cell.length, '0')}Z`) + dayOffset;
      if (at < previous) {
        dayOffset += 86_400_000;
        at += 86_400_000;
      }
    } else {
      at = Date.parse(/Z|[+-]\d\d:?\d\d$/.test(cell) ? cell : `${cell}Z`);
    }
    if (!Number.isFinite(at)) continue;
    previous = at;
    t.push(at / 1000);
    columns.forEach((_, i) => {
      const raw = cells[i + 1];
      const v = Number(raw);
      values[i]!.push(raw !== undefined && raw.trim() !== '' && Number.isFinite(v) ? v : null);
    });
  }
  return { columns, t, values };
}
