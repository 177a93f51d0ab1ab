import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  evaluateImageType,
  evaluatePrefix,
  evaluateProprietaryMonths,
  headerViewFrom,
  instrumentSchema,
  makeArchiveId,
  parseInstrument,
  parseInstrumentText,
  semesterOf,
  utSecondsFromTime,
} from '../../src/instruments/index.js';

const doc = await readFile(new URL('../../docs/instruments.md', import.meta.url), 'utf8');
const yamlBlocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/instruments.md', () => {
  const example = parseInstrument(parseInstrumentText(yamlBlocks[0]!, 'docs-example.yaml'), 'docs/instruments.md');

  it('has a complete example that loads and behaves as described', () => {
    const header = headerViewFrom({ INSTRUME: 'TESTCAM-RED', DETECTOR: 'RED', SHUTTER: 'closed', EXPTIME: 0 });
    expect(evaluatePrefix(example, header)).toBe('TR');
    expect(evaluateImageType(example, header).type).toBe('bias');
    expect(evaluateImageType(example, headerViewFrom({ OBSTYPE: 'comp' })).type).toBe('arclamp');
    expect(evaluateProprietaryMonths(example, { header, imageType: 'bias', utSeconds: 15 * 3600 })).toBe(0);
    expect(semesterOf(example.semester!, '2024-04-01', 13 * 3600)).toBe('2024A');
    expect(example.keywordTable.map((e) => e.column)).toContain('date_obs');
  });

  it('documents every field of a description', () => {
    for (const field of Object.keys(instrumentSchema.shape)) expect(doc, field).toContain(`\`${field}\``);
  });

  it('shows template and keck ids that the code really produces', () => {
    const noao = parseInstrument(
      { name: 'TESTCAM', archiveId: { scheme: 'template', template: '{INSTRUMENT}_{DATE:YYYYMMDD}T{TIME:HHMMSS}' } },
      'docs',
    );
    const at = { header: headerViewFrom({}), date: '2024-03-05', utSeconds: utSecondsFromTime('10:00:00')! };
    expect(doc).toContain('TESTCAM_20240305T100000');
    expect(makeArchiveId(noao, at).id).toBe('TESTCAM_20240305T100000');
    const keck = makeArchiveId(example, { ...at, header: headerViewFrom({ CAMERA: 'BLUE' }), utSeconds: 36000.05 });
    expect(keck.id).toBe('TB.20240305.36000.05');
  });
});
