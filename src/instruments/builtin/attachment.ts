/**
 * Attachments: non-FITS files of a night or a program (weather tables, observing logs, observer notes, PDFs)
 * wrapped as FITS FOREIGN objects by `fits-ingest foreign wrap` / `wrapForeignFile` (docs/foreign.md). Their
 * primary header says INSTRUME = 'ATTACHMENT', DATE-OBS (the night), ATTKIND and, for a program's attachment,
 * PROGID. They go through the same pipeline as frames and are cataloged with the columns below; `role:
 * attachments` keeps them from counting as a program's first frame of the night.
 */
import type { InstrumentInput } from '../../core/instruments/schema.js';

const kinds = ['weather', 'log', 'notes', 'other'];

export const attachment = {
  name: 'ATTACHMENT',
  role: 'attachments',
  aliases: [],
  keywordMap: {
    'DATE-OBS': ['DATE-OBS'],
    UTC: ['UTC', 'TIME-OBS'],
    OFNAME: ['OFNAME'],
  },
  archiveId: {
    scheme: 'template',
    template: '{PREFIX}.{DATE:YYYYMMDD}.{SECONDS:5}.{DIGEST:10}',
    prefixRules: [
      { when: { keyword: 'ATTKIND', equals: 'weather' }, prefix: 'WX' },
      { when: { keyword: 'ATTKIND', equals: 'log' }, prefix: 'LOG' },
      { when: { keyword: 'ATTKIND', equals: 'notes' }, prefix: 'NOTES' },
    ],
    defaultPrefix: 'ATT',
  },
  outputKeywords: { archiveId: 'ARCHID', imageType: 'ARCIMTYP' },
  imageTypes: [...kinds],
  imageTypeRules: [{ fromKeyword: 'ATTKIND', map: Object.fromEntries(kinds.map((k) => [k, k])) }],
  imageTypeFallback: 'other',
  dateRepair: { dateFormats: ['iso-datetime', 'iso-date'], timeFromDateTime: true },
  keywordTable: [
    { keyword: 'ARCHID', type: 'string', width: 48, nullable: false, source: 'derived', description: 'Archive id' },
    { keyword: 'ARCIMTYP', type: 'string', width: 16, nullable: false, source: 'derived', description: 'Attachment kind as the archive typed it' },
    { keyword: 'ATTKIND', type: 'string', width: 16, nullable: false, allowed: kinds, description: 'Attachment kind' },
    { keyword: 'FILENAME', type: 'string', width: 255, nullable: false, description: 'Name of the wrapped file' },
    { keyword: 'FILESIZE', type: 'integer', min: 0, nullable: false, unit: 'byte', description: 'Size of the wrapped file' },
    { keyword: 'PROGID', type: 'string', width: 32, description: 'Program (absent: an attachment of the whole night)' },
    { keyword: 'DATE-OBS', column: 'date_obs', type: 'date', nullable: false, description: 'UT date the attachment refers to' },
    { keyword: 'DATE', column: 'wrapped_at', type: 'datetime', description: 'When the file was wrapped (UT)' },
    { keyword: 'OFNAME', type: 'string', width: 255, description: 'Name of the FITS wrapper as submitted' },
    { keyword: 'TELESCOP', type: 'string', width: 68, description: 'Telescope' },
    { keyword: 'OBSERVER', type: 'string', width: 68, description: 'Observer' },
  ],
  // A night's attachments (no program) are public at once; a program's follow its proprietary period.
  proprietaryMonths: 18,
  proprietaryRules: [{ when: { not: { exists: 'PROGID' } }, months: 0, note: 'night attachments are public' }],
  paths: { reject: [{ glob: '*.tmp' }, { glob: '.*' }, { glob: '*~' }] },
  notes: 'Wrap files with `fits-ingest foreign wrap`; restore them with `fits-ingest foreign unwrap`.',
} satisfies InstrumentInput;
