/**
 * The package's `index.html`: one page (inline CSS, no external resource, relative links only) that browses the
 * frames by role with their thumbnails, header listings, data files (or volume and member when the data is on
 * volumes) and the manifest, and draws the nights' weather when the package has weather tables (scripts of the
 * package's `weather/` folder: uPlot and the data). Opens from a disk, a CD or a tar extract.
 *
 * @module
 */
import type { DistributionManifest, ManifestFile, ManifestFrame } from './manifest.js';
import type { PackageRole } from './plan.js';

const ROLES: Record<PackageRole, string> = {
  science: 'Science frames',
  product: 'Processed products',
  calibration: 'Calibrations',
  attachment: 'Night attachments (weather, logs, notes)',
};

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A relative link: each path segment percent-encoded. */
const href = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.15em;margin:1.5em 0 .5em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;background:#fff}td,th{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#eee}.thumbs img{background:#000;margin:0 4px 4px 0;max-width:160px;max-height:160px;image-rendering:pixelated}
.weather-grid{display:flex;flex-wrap:wrap;gap:8px}.weather-chart{background:#fff;border:1px solid #ddd;padding:4px}
.missing{background:#fdd}.note{color:#a60}code{font-size:12px}.small{font-size:12px;color:#555}`;

function dataCell(frame: ManifestFrame, files: ReadonlyMap<string, ManifestFile>, volumes: boolean): string {
  if (frame.status === 'missing') return `<span class="note">missing: ${escapeHtml(frame.problem ?? '')}</span>`;
  return frame.data
    .map((path) => {
      const file = files.get(path);
      const where = volumes && file?.volume ? ` <span class="small">(${escapeHtml(file.volume)} #${file.member})</span>` : '';
      const name = escapeHtml(path.split('/').at(-1)!);
      return volumes ? `<code>${name}</code>${where}` : `<a href="${href(path)}"><code>${name}</code></a>`;
    })
    .join('<br>');
}

function frameRow(frame: ManifestFrame, files: ReadonlyMap<string, ManifestFile>, volumes: boolean): string {
  const thumbs = frame.thumbnails
    .map((t) => `<a href="${href(t.path)}"><img src="${href(t.path)}" width="${t.width}" height="${t.height}" alt="HDU ${t.hdu} of ${escapeHtml(frame.archiveId)}" title="HDU ${t.hdu}, zscale ${t.z1.toPrecision(6)} to ${t.z2.toPrecision(6)}"></a>`)
    .join('');
  const header = frame.header ? `<a href="${href(frame.header)}">header</a>` : '';
  const why = [...frame.reasons, ...(frame.note ? [`<span class="note">${escapeHtml(frame.note)}</span>`] : [])];
  return `<tr${frame.status === 'missing' ? ' class="missing"' : ''}>
<td class="thumbs">${thumbs}</td>
<td><b>${escapeHtml(frame.archiveId)}</b><br><span class="small">${escapeHtml(frame.originalName)}</span></td>
<td>${escapeHtml(frame.night)}<br>${escapeHtml(frame.dateObs ?? '')}</td>
<td>${escapeHtml(frame.imageType ?? '')}<br>${escapeHtml(frame.object ?? '')}</td>
<td class="small">${why.map((w) => (w.startsWith('<span') ? w : escapeHtml(w))).join('<br>')}</td>
<td>${dataCell(frame, files, volumes)}</td>
<td>${header}</td>
</tr>`;
}

/** Load order of the chart's scripts: the library, the data, the drawing. */
const order = (path: string): number => (path.endsWith('uPlot.iife.min.js') ? 0 : path.endsWith('weather-data.js') ? 1 : 2);

/** The page for `manifest`. */
export function renderIndexHtml(manifest: DistributionManifest): string {
  const files = new Map(manifest.files.map((f) => [f.path, f]));
  const volumes = manifest.output === 'volumes';
  const sections = (Object.keys(ROLES) as PackageRole[])
    .map((role) => {
      const frames = manifest.frames.filter((f) => f.role === role);
      if (frames.length === 0) return '';
      return `<h2 id="${role}">${ROLES[role]} (${frames.length})</h2>
<table><tr><th>Thumbnails</th><th>Archive id</th><th>Night / date</th><th>Type / object</th><th>Why included</th><th>Data</th><th>Header</th></tr>
${frames.map((f) => frameRow(f, files, volumes)).join('\n')}
</table>`;
    })
    .join('\n');
  const missing = manifest.frames.filter((f) => f.status === 'missing').length;
  const volumeList = manifest.volumes?.length
    ? `<h2 id="volumes">Volumes</h2><ul>${manifest.volumes.map((v) => `<li><code>${escapeHtml(v.label)}</code>: ${v.members} members, serials ${v.firstSerial}–${v.lastSerial}, ${v.size} bytes (${v.files.map(escapeHtml).join(', ')})</li>`).join('')}</ul>`
    : '';
  const charts = manifest.files.filter((f) => f.kind === 'chart').map((f) => f.path);
  const weather = charts.length
    ? `<h2 id="weather">Weather</h2>
<p class="small">From the nights' weather tables (see the night attachments below); times are UT.</p>
<div id="weather-charts"></div>
<noscript><p class="note">The weather charts need JavaScript; the tables are among the night attachments.</p></noscript>`
    : '';
  const scripts = charts.filter((p) => p.endsWith('.js')).sort((a, b) => order(a) - order(b)).map((p) => `<script src="${href(p)}"></script>`).join('\n');
  const styles = charts.filter((p) => p.endsWith('.css')).map((p) => `<link rel="stylesheet" href="${href(p)}">`).join('');
  const notes = manifest.notes.length ? `<h2 id="notes">Notes</h2><ul>${manifest.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Program ${escapeHtml(manifest.program)} — distribution package</title>
${styles}<style>${STYLE}</style></head><body>
<h1>Program ${escapeHtml(manifest.program)} — distribution package</h1>
<p>Nights ${escapeHtml(manifest.nights.join(', '))} · format <b>${manifest.packageFormat}</b> · ${manifest.frames.length} archived files${missing ? `, <span class="note">${missing} missing</span>` : ''} · created ${escapeHtml(manifest.createdAt)}</p>
<p>Manifest: <a href="MANIFEST.txt">MANIFEST.txt</a> (printable) · <a href="manifest.json">manifest.json</a>${volumes ? ' · the data files are on the volumes listed below' : ''}</p>
${weather}
${sections}
${volumeList}
${notes}
${scripts}
</body></html>
`;
}
