/** The `keywordTrigger` section of instrument descriptions: defaults, validation, the shipped values, the docs. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { IngestError } from '../../../src/core/errors.js';
import { builtinInstrument, parseInstrument, parseInstrumentText } from '../../../src/instruments/index.js';

const base = { name: 'TESTCAM', archiveId: { scheme: 'keck', defaultPrefix: 'TC' } } as const;

function problem(keywordTrigger: unknown): { field: string; message: string } {
  try {
    parseInstrument({ ...base, keywordTrigger }, 'testcam.yaml');
  } catch (error) {
    const e = error as IngestError;
    expect(e.code).toBe('INSTRUMENT_CONFIG_INVALID');
    return { field: String(e.context.field), message: e.message };
  }
  throw new Error('expected the description to be refused');
}

describe('keywordTrigger in an instrument description', () => {
  it('is optional, and gets KOA defaults: skip the first broadcast, 5 looks 250 ms apart', () => {
    expect(parseInstrument(base, 'testcam').keywordTrigger).toBeUndefined();
    const d = parseInstrument({ ...base, keywordTrigger: { announce: { key: 'tcam.LASTFILE' }, roots: ['/data/raw'] } }, 'testcam');
    expect(d.keywordTrigger).toEqual({
      announce: [{ key: 'tcam.LASTFILE' }],
      roots: ['/data/raw'],
      skipFirstBroadcast: true,
      missingFile: { retries: 5, delayMs: 250 },
    });
  });

  it('fills the defaults of a composed path and takes lists of announcements and heartbeats', () => {
    const d = parseInstrument(
      {
        ...base,
        keywordTrigger: {
          announce: [{ key: 'tcam.BLUE_LASTFILE' }, { directory: 'tcam.OUTDIR', name: 'tcam.OUTFILE', frame: { key: 'tcam.FRAMENO' } }],
          roots: ['/data'],
          heartbeat: [{ key: 'tcam.UPTIME', staleAfterMs: 5000 }],
        },
      },
      'testcam',
    );
    expect(d.keywordTrigger!.announce[1]).toEqual({
      directory: 'tcam.OUTDIR',
      name: 'tcam.OUTFILE',
      frame: { key: 'tcam.FRAMENO', digits: 4, offset: 0 },
      suffix: '.fits',
    });
    expect(d.keywordTrigger!.heartbeat).toEqual([{ key: 'tcam.UPTIME', staleAfterMs: 5000 }]);
  });

  it('refuses mistakes with the field and a message saying what is wrong', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ announce: { key: 'LASTFILE' }, roots: ['/d'] }, 'keywordTrigger.announce.key', /dot-separated/],
      [{ announce: { key: 'a.b', extra: 1 }, roots: ['/d'] }, 'keywordTrigger.announce.extra', /unknown field/],
      [{ announce: { directory: 'a.d', name: 'a.n', frame: { key: 'a.f', digits: 0 } }, roots: ['/d'] }, 'keywordTrigger.announce.frame.digits', /1/],
      [{ announce: { directory: 'a.d', name: 'a.n', suffix: 'x/.fits' }, roots: ['/d'] }, 'keywordTrigger.announce.suffix', /"\/"/],
      [{ announce: [{ key: 'a.b' }, { key: 'a.b' }], roots: ['/d'] }, 'keywordTrigger.announce[1]', /already fires on a\.b/],
      [{ announce: { directory: 'a.b', name: 'a.b' }, roots: ['/d'] }, 'keywordTrigger.announce[0]', /must differ/],
      [{ announce: { key: 'a.b' }, roots: ['data'] }, 'keywordTrigger.roots[0]', /absolute/],
      [{ announce: { key: 'a.b' }, roots: ['/data/../etc'] }, 'keywordTrigger.roots[0]', /absolute/],
      [{ announce: { key: 'a.b' }, roots: [] }, 'keywordTrigger.roots', /1/],
      [{ announce: { key: 'a.b' } }, 'keywordTrigger.roots', /missing/],
      [{ announce: { key: 'a.b' }, roots: ['/d'], heartbeat: { key: 'a.b', staleAfterMs: 1000 } }, 'keywordTrigger.heartbeat[0].key', /announcement key/],
      [{ announce: { key: 'a.b' }, roots: ['/d'], missingFile: { retries: -1 } }, 'keywordTrigger.missingFile.retries', /0/],
    ];
    for (const [section, field, message] of cases) {
      const got = problem(section);
      expect(got.field, JSON.stringify(section)).toBe(field);
      expect(got.message, field).toMatch(message);
    }
  });

  it('ships KOA keys for KCWI (LASTFILE-style) and HIRES (composed, on WDISK = false)', () => {
    const kcwi = builtinInstrument('kcwi').keywordTrigger!;
    expect(kcwi.announce).toEqual([{ key: 'kbds.LOUTFILE' }, { key: 'krds.LOUTFILE' }, { key: 'kfcs.LASTFILE' }]);
    expect(kcwi.heartbeat!.map((h) => h.key)).toEqual(['kbds.ITERATION', 'kfcs.ITERATION']);
    const hires = builtinInstrument('hires').keywordTrigger!;
    expect(hires.announce).toEqual([
      {
        directory: 'hiccd.OUTDIR',
        name: 'hiccd.OUTFILE',
        frame: { key: 'hiccd.LFRAMENO', digits: 4, offset: 0 },
        suffix: '.fits',
        when: { key: 'hiccd.WDISK', equals: false },
      },
    ]);
  });

  it('has a valid example in docs/instruments.md and docs/keywords.md', async () => {
    for (const doc of ['instruments.md', 'keywords.md']) {
      const text = await readFile(new URL(`../../../docs/${doc}`, import.meta.url), 'utf8');
      const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => /^keywordTrigger:/m.test(b));
      expect(blocks.length, doc).toBeGreaterThan(0);
      for (const block of blocks) {
        const data = parseInstrumentText(block, `${doc}.yaml`) as { keywordTrigger: unknown };
        expect(() => parseInstrument({ ...base, keywordTrigger: data.keywordTrigger }, doc)).not.toThrow();
      }
      if (doc === 'keywords.md') {
        // The KCWI and HIRES examples are the shipped sections, as the page says.
        const parsed = blocks.map((b) => parseInstrument({ ...base, ...(parseInstrumentText(b, 'k.yaml') as object) }, doc).keywordTrigger);
        expect(parsed.slice(0, 2)).toEqual([builtinInstrument('kcwi').keywordTrigger, builtinInstrument('hires').keywordTrigger]);
      }
    }
  });
});
