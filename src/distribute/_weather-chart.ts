/**
 * The weather chart of a distribution package (as CFHT's distribution carried one): the nights' weather tables
 * (night attachments with ATTKIND = 'weather', restored next to their wrappers) drawn by uPlot, copied into the
 * package with its data so the page needs no server and no internet: `weather/uPlot.iife.min.js`,
 * `weather/uPlot.min.css`, `weather/weather-data.js` and `weather/weather-chart.js`. Internal to src/distribute.
 *
 * @module
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ManifestFrame } from '../core/distribute/manifest.js';
import { parseWeather, type WeatherSeries } from '../core/distribute/weather.js';

/** The script that draws one small chart per column and night from `window.FITS_WEATHER` (plain ES2017). */
const CHART_JS = `'use strict';
(function () {
  var target = document.getElementById('weather-charts');
  var colors = ['#c62828', '#1d4ed8', '#2e7d32', '#8e24aa', '#ef6c00', '#00838f', '#6d4c41'];
  (window.FITS_WEATHER || []).forEach(function (night) {
    var box = document.createElement('div');
    box.className = 'weather-night';
    var title = document.createElement('h3');
    title.textContent = 'Night ' + night.night + ' (' + night.archiveId + ')';
    box.appendChild(title);
    var grid = document.createElement('div');
    grid.className = 'weather-grid';
    box.appendChild(grid);
    target.appendChild(box);
    night.columns.forEach(function (column, i) {
      var cell = document.createElement('div');
      cell.className = 'weather-chart';
      cell.setAttribute('data-column', column);
      grid.appendChild(cell);
      new uPlot({
        width: 380, height: 180, title: column,
        scales: { x: { time: true } },
        legend: { show: false },
        series: [{}, { label: column, stroke: colors[i % colors.length], width: 1.5, points: { show: night.t.length < 40 } }],
        axes: [{ values: function (u, ticks) { return ticks.map(function (s) { return new Date(s * 1000).toISOString().slice(11, 16); }); } }, {}],
      }, [night.t, night.values[i]], cell);
    });
  });
  document.body.setAttribute('data-weather-charts', String(document.querySelectorAll('.weather-chart canvas').length));
})();
`;

const packageFile = (name: string): string => createRequire(import.meta.url).resolve(name);

/** One night's weather in the package. */
export interface PackageWeather extends WeatherSeries {
  archiveId: string;
  night: string;
}

/**
 * Reads the restored weather tables of `frames` (paths of their `unwrapped` files under `dataRoot`) and, when at
 * least one has a row, writes the chart's files into `out/weather/`. Returns the files written (absolute paths),
 * none when there is no weather to draw.
 */
export async function writeWeatherChart(out: string, dataRoot: string, frames: readonly ManifestFrame[], unwrapped: (frame: ManifestFrame) => string | undefined): Promise<string[]> {
  const nights: PackageWeather[] = [];
  for (const frame of frames) {
    if (frame.role !== 'attachment' || frame.imageType !== 'weather' || frame.status !== 'ok') continue;
    const member = unwrapped(frame);
    if (!member) continue;
    const series = parseWeather(await readFile(join(dataRoot, member), 'utf8'), frame.night);
    if (series.t.length > 0 && series.columns.length > 0) nights.push({ archiveId: frame.archiveId, night: frame.night, ...series });
  }
  if (nights.length === 0) return [];
  nights.sort((a, b) => (a.night < b.night ? -1 : 1));
  const dir = join(out, 'weather');
  await mkdir(dir, { recursive: true });
  const files = { lib: join(dir, 'uPlot.iife.min.js'), css: join(dir, 'uPlot.min.css'), data: join(dir, 'weather-data.js'), chart: join(dir, 'weather-chart.js') };
  await copyFile(packageFile('uplot/dist/uPlot.iife.min.js'), files.lib);
  await copyFile(packageFile('uplot/dist/uPlot.min.css'), files.css);
  // A script, not JSON: a page opened from a disk (file://) may load scripts but not fetch files.
  await writeFile(files.data, `window.FITS_WEATHER = ${JSON.stringify(nights).replace(/</g, '\\u003c')};\n`);
  await writeFile(files.chart, CHART_JS);
  return [files.css, files.lib, files.data, files.chart];
}
