/**
 * The package's index.html in a real browser (Debian's headless chromium, driven by playwright-core): every
 * thumbnail loads, every link resolves to a file of the package that the browser can load, nothing is fetched
 * from outside the folder, and a screenshot is kept as a test artifact.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { buildNight, WEATHER_CSV, type TestNight } from './_night.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
let night: TestNight;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/setup-test.sh)`);
  night = await buildNight('browser');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  if (night) rmSync(night.dir, { recursive: true, force: true });
});

describe('index.html in headless Chromium', () => {
  it('loads every thumbnail, resolves every link inside the package, and is saved as a screenshot', async () => {
    const out = join(night.dir, 'package');
    const r = await cli('distribute', '--catalog', night.catalog, '--program', 'K123', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(pathToFileURL(out).href)) outside.push(request.url());
    });
    await page.goto(pathToFileURL(join(out, 'index.html')).href, { waitUntil: 'load' });
    expect(await page.title()).toBe('Program K123 — distribution package');

    const images = await page.$$eval('img', (all) => all.map((img) => ({ src: img.src, width: img.naturalWidth, height: img.naturalHeight, complete: img.complete })));
    expect(images).toHaveLength(9);
    for (const image of images) expect(image, image.src).toMatchObject({ complete: true, width: 96, height: 80 });

    const links = await page.$$eval('a[href]', (all) => all.map((a) => ({ href: a.getAttribute('href')!, url: (a as unknown as { href: string }).href })));
    expect(links.length).toBeGreaterThan(30);
    const targets = [...new Set(links.map((l) => l.url))];
    for (const link of links) expect(link.href, 'relative links only').not.toMatch(/^[a-z]+:|^\//i);
    const visit = await browser.newPage();
    for (const url of targets) {
      const path = fileURLToPath(url);
      expect(path.startsWith(out), url).toBe(true);
      expect(existsSync(path), url).toBe(true);
      // The browser opens text, JSON and PNG files; FITS files and CSV tables are offered as downloads.
      const outcome = await visit.goto(url).then(
        (response) => (response?.ok() ? 'loaded' : `status ${response?.status()}`),
        (error: Error) => (/Download is starting/.test(error.message) ? 'download' : error.message),
      );
      expect(outcome, url).toBe(/\.(fits|csv)$/.test(path) ? 'download' : 'loaded');
    }
    await visit.close();
    expect(targets.map((u) => fileURLToPath(u).slice(out.length + 1))).toEqual(
      expect.arrayContaining(['MANIFEST.txt', 'manifest.json', `headers/${night.ids.sci1}.txt`, `data/2026-11-20/${night.ids.sci1}.fits`]),
    );
    expect(outside).toEqual([]);

    // The night's weather, drawn by uPlot from the package's own copy: one chart per column of the table.
    const columns = WEATHER_CSV.split('\n')[0]!.split(',').slice(1);
    await page.waitForSelector('body[data-weather-charts]');
    expect(await page.locator('.weather-chart canvas').count()).toBe(columns.length);
    expect(await page.locator('.weather-chart').evaluateAll((all) => all.map((e) => e.getAttribute('data-column')))).toEqual(columns);
    expect(await page.locator('#weather h3, #weather-charts h3').allTextContents()).toEqual([`Night 2026-11-20 (${night.ids.weather})`]);
    // Every point of the table is drawn: uPlot holds the 61 times of the table.
    expect(await page.evaluate(() => (globalThis as unknown as { FITS_WEATHER: { t: number[] }[] }).FITS_WEATHER[0]!.t.length)).toBe(WEATHER_CSV.trim().split('\n').length - 1);
    await page.locator('#weather').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'distribution-weather.png') });

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'distribution-index.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot of the distribution index: ${shot}`);
    expect(existsSync(shot)).toBe(true);
    await page.close();
    expect(dirname(shot)).toBe(ARTIFACTS);
  }, 60_000);
});
