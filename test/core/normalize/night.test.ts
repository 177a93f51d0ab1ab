import { describe, expect, it } from 'vitest';
import { nightOf, zoneOffsetMinutes } from '../../../src/core/normalize/index.js';
import { parseInstrument } from '../../../src/instruments/index.js';

const h = (hms: string): number => {
  const [a, b, c] = hms.split(':').map(Number) as [number, number, number];
  return a * 3600 + b * 60 + c;
};

describe('nightOf', () => {
  it('is the UT date by default (KOA)', () => {
    expect(nightOf({}, '2026-11-20', h('04:12:33'))).toBe('2026-11-20');
    expect(nightOf({ night: 'ut-date', utcOffsetHours: -10 }, '2026-11-20', h('23:59:59'))).toBe('2026-11-20');
  });

  it('names a local-evening night by the date of its evening, from local noon to local noon', () => {
    const site = { night: 'local-evening' as const, utcOffsetHours: -8 };
    expect(nightOf(site, '2026-11-20', h('04:12:33'))).toBe('2026-11-19'); // 20:12 on the 19th
    expect(nightOf(site, '2026-11-20', h('19:59:59'))).toBe('2026-11-19'); // 11:59:59 on the 20th
    expect(nightOf(site, '2026-11-20', h('20:00:00'))).toBe('2026-11-20'); // local noon starts the next night
    expect(nightOf({ ...site, nightBoundary: '08:30' }, '2026-11-20', h('16:00:00'))).toBe('2026-11-19'); // 08:00 local
    expect(nightOf({ night: 'local-evening', utcOffsetHours: 10 }, '2026-11-20', h('10:00:00'))).toBe('2026-11-20'); // 20:00 east
    expect(nightOf({ night: 'local-evening', utcOffsetHours: 10 }, '2026-11-19', h('23:00:00'))).toBe('2026-11-19'); // 09:00 on the 20th
  });

  it('follows daylight saving with a time zone', () => {
    const site = { night: 'local-evening' as const, timeZone: 'America/Los_Angeles' };
    expect(zoneOffsetMinutes('America/Los_Angeles', Date.UTC(2026, 6, 1, 12))).toBe(-420);
    expect(zoneOffsetMinutes('America/Los_Angeles', Date.UTC(2026, 11, 1, 12))).toBe(-480);
    // 19:30 UT is 12:30 PDT in July (a new night) but 11:30 PST in December (still the previous night).
    expect(nightOf(site, '2026-07-01', h('19:30:00'))).toBe('2026-07-01');
    expect(nightOf(site, '2026-12-01', h('19:30:00'))).toBe('2026-11-30');
  });

  it('is validated in descriptions', () => {
    const base = { name: 'LOCAM', archiveId: { scheme: 'template', template: '{NIGHT:YYYYMMDD}-{SECONDS:5}' } };
    expect(() => parseInstrument({ ...base, site: { night: 'local-evening', timeZone: 'Mars/Olympus' } }, 'mem')).toThrow(/IANA time zone/);
    expect(() => parseInstrument({ ...base, site: { night: 'evening' } }, 'mem')).toThrow(/site\.night/);
    expect(parseInstrument({ ...base, site: { night: 'local-evening', timeZone: 'Pacific/Honolulu', nightBoundary: '09:00' } }, 'mem').site.timeZone).toBe('Pacific/Honolulu');
  });
});
