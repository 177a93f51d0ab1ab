/**
 * The operator monitor and the observer portal in headless Chromium (Debian's, driven by playwright-core),
 * against a real server and SQLite catalog while frames of a simulated night are being archived:
 * - the monitor shows a newly archived file within 2 s without a reload;
 * - an admin requeues an INVALID file from the page (after the instrument rewrote it) and it is archived, with
 *   the operator as actor in its history;
 * - an observer of K123 sees only K123's files (live too), thumbnails load, a download's bytes match the archive,
 *   and the night's weather chart is drawn from the weather attachment;
 * - a user of another program sees none of them, and gets 404 for their URLs.
 * Session cookies are HttpOnly and SameSite=Strict, an action without the CSRF token is refused, and no token
 * appears in a URL or in the server's log. Screenshots go to test-artifacts/.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenEntry } from '../../../src/adapters/http/server.js';
import { frameName, makeBrokenFile, makeFrame, type FrameOptions } from '../../../src/simulator/frames.js';
import { makeNightAttachments, writeNightAttachments } from '../../../src/simulator/attachments.js';
import { memoryLogger, removeDir, startArchive, tempDir, type Archive } from './_harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
const tok = (name: string) => `${name}-token-0123456789abcdef-x`;
const TOKENS: TokenEntry[] = [
  { site: 'ops', token: tok('admin'), scopes: ['admin'] },
  { site: 'k123-team', token: tok('k123'), scopes: ['read'], programs: ['K123'] },
  { site: 'k777-team', token: tok('k777'), scopes: ['read'], programs: ['K777'] },
];
const T = Date.UTC(2026, 10, 20, 8, 0, 0);
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let archive: Archive;
let browser: Browser;
let inbox: string;
const logger = memoryLogger();
let frameNo = 0;

const options = (program: string, n: number): FrameOptions => ({ time: new Date(T + n * 60_000), frameNumber: n, axes: [128, 128], program, object: `target ${n}` });
/** Writes and archives one frame of `program`; resolves to its record once final. */
async function archiveFrame(program: string) {
  const o = options(program, ++frameNo);
  const path = join(inbox, frameName(o));
  writeFileSync(path, makeFrame(o));
  const { record } = await archive.ingestor.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true });
  return record;
}
async function login(page: Page, token: string): Promise<void> {
  await page.goto(`${archive.url}/ui/`);
  expect(page.url()).toBe(`${archive.url}/ui/login`);
  await page.fill('#token', tok(token));
  await Promise.all([page.waitForURL(/\/ui\/(monitor|portal)$/), page.click('button[type=submit]')]);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/setup-test.sh)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const dir = tempDir('pages');
  inbox = join(dir, 'inbox');
  mkdirSync(inbox, { recursive: true });
  archive = await startArchive({ dir, sqlite: true, server: { tokens: TOKENS, logger, pages: { archiveRoot: join(dir, 'archive') } } });
  // The night so far: frames of two programs and the weather station's table.
  const done = [];
  for (const program of ['K123', 'K999', 'K123', 'K999', 'K123']) done.push((await archiveFrame(program)).id);
  const [weather] = await writeNightAttachments(join(dir, 'attachments'), makeNightAttachments().filter((a) => a.kind === 'weather'));
  done.push((await archive.ingestor.submit({ path: weather!, trigger: 'test', detectedAt: Date.now(), complete: true })).record.id);
  for (const r of await archive.ingestor.settled(done)) expect([r.originalName, r.state]).toEqual([r.originalName, 'ARCHIVED']);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await archive?.stop();
  if (archive) removeDir(archive.dir);
});

describe('operator monitor', () => {
  it('shows a new file within 2 s without reload; an admin requeues an INVALID file from the page and it is archived', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1300 } });
    const page = await context.newPage();
    await login(page, 'admin');
    expect(page.url()).toBe(`${archive.url}/ui/monitor`);
    await page.waitForSelector('#live.on');
    await page.waitForSelector('body[data-loaded]');
    const cookies = await context.cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'fits_ingest_session', httpOnly: true, sameSite: 'Strict' })]);
    expect(cookies[0]!.value).not.toContain(tok('admin'));

    // A new frame during the night appears without reload, ARCHIVED with its archive id, within 2 s.
    const started = Date.now();
    const record = await archiveFrame('K123');
    const [archived] = await archive.ingestor.settled([record.id]);
    const row = page.locator(`#latest tr[data-record="${record.id}"]`);
    await row.locator('td.s-ARCHIVED').waitFor({ timeout: 2000 });
    expect(Date.now() - started).toBeLessThan(2000 + 1000);
    await expect.poll(() => row.locator('td').nth(3).textContent()).toBe(archived!.archiveId);

    // A file that arrived truncated is INVALID; the instrument rewrites it; the admin requeues it from the page.
    const o = options('K123', ++frameNo);
    const path = join(inbox, frameName(o));
    writeFileSync(path, makeBrokenFile('truncated', makeFrame(o)));
    const { record: broken } = await archive.ingestor.submit({ path, trigger: 'test', detectedAt: Date.now(), complete: true });
    expect((await archive.ingestor.settled([broken.id]))[0]!.state).toBe('INVALID');
    const brokenRow = page.locator(`#latest tr[data-record="${broken.id}"]`);
    await brokenRow.locator('td.s-INVALID').waitFor({ timeout: 2000 });
    writeFileSync(path, makeFrame(o));
    await brokenRow.locator('button.action', { hasText: 'requeue' }).click();
    await brokenRow.locator('td.s-ARCHIVED').waitFor({ timeout: 10_000 });
    const after = (await archive.catalog.getRecord(broken.id))!;
    expect(after.state).toBe('ARCHIVED');
    expect((await archive.catalog.history(broken.id)).find((h) => h.cause === 'REQUEUE')).toMatchObject({ actor: 'operator:ops' });
    await expect.poll(() => page.locator('#message').textContent()).toContain('requeued');

    // Charts are drawn by uPlot (a canvas each) and the counts match the catalog.
    await page.reload();
    await page.waitForSelector('body[data-loaded]');
    expect(await page.locator('#throughput canvas').count()).toBe(1);
    expect(await page.locator('#latency canvas').count()).toBe(1);
    expect(Number(await page.locator('#counts td[data-state="ARCHIVED"]').textContent())).toBe((await archive.catalog.counts()).ARCHIVED);
    expect(await page.locator('#disk').textContent()).toMatch(/free of/);
    await page.screenshot({ path: join(ARTIFACTS, 'monitor.png'), fullPage: true });

    // An action without the CSRF token is refused, and nothing is requeued.
    const forged = await page.evaluate(async (id) => (await fetch('/ui/actions/requeue', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ recordId: id }) })).status, broken.id);
    expect(forged).toBe(403);
    await context.close();
  });
});

describe('observer portal', () => {
  it('an observer of K123 sees only K123 files, live; thumbnails load; a download matches the archive; the weather chart is drawn', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1100 }, acceptDownloads: true });
    const page = await context.newPage();
    await login(page, 'k123');
    expect(page.url()).toBe(`${archive.url}/ui/portal`);
    await page.waitForSelector('body[data-loaded]');
    await page.waitForSelector('#live.on');
    const k123 = (await archive.catalog.findArchived({ program: 'K123' })).map((f) => f.archiveId).sort();
    const shown = async () => (await page.locator('.file').evaluateAll((els) => els.map((e) => e.getAttribute('data-archive-id')!))).sort();
    // The weather table is public at once (a night attachment); the frames shown are exactly K123's.
    const weatherId = (await archive.catalog.findArchived({ instrument: 'ATTACHMENT' }))[0]!.archiveId;
    expect(await shown()).toEqual([...k123, weatherId].sort());

    // Live: a K123 frame appears, a K999 frame does not.
    const mine = await archiveFrame('K123');
    const theirs = await archiveFrame('K999');
    const [m, t] = await archive.ingestor.settled([mine.id, theirs.id]);
    await page.locator(`.file[data-archive-id="${m!.archiveId}"]`).waitFor({ timeout: 2000 });
    await page.waitForTimeout(300);
    expect(await page.locator(`.file[data-archive-id="${t!.archiveId}"]`).count()).toBe(0);

    // Every thumbnail of a frame decodes.
    type Img = { alt: string; complete: boolean; naturalWidth: number };
    await expect.poll(() => page.locator('.file img').evaluateAll((imgs) => imgs.every((i) => (i as unknown as Img).complete)), { timeout: 5000 }).toBe(true);
    const sizes = await page.locator('.file img').evaluateAll((imgs) => imgs.map((i) => [(i as unknown as Img).alt, (i as unknown as Img).naturalWidth]));
    for (const [alt, width] of sizes) if (!String(alt).includes(weatherId)) expect([alt, width]).toEqual([alt, expect.any(Number)]);
    expect(sizes.filter(([alt, width]) => !String(alt).includes(weatherId) && Number(width) > 0)).toHaveLength(k123.length + 1);

    // A download's bytes are the archive's.
    const card = page.locator(`.file[data-archive-id="${m!.archiveId}"]`);
    const [download] = await Promise.all([page.waitForEvent('download'), card.locator('a', { hasText: 'download' }).click()]);
    const saved = join(archive.dir, 'downloaded.fits');
    await download.saveAs(saved);
    const file = (await archive.catalog.getArchived(m!.archiveId!))!;
    expect(sha(readFileSync(saved))).toBe(file.sha256);

    // Header and history of a file; the weather chart (uPlot canvas) from the attachment.
    await card.locator('a', { hasText: 'header & history' }).click();
    await expect.poll(() => page.locator('#detail-header').textContent()).toContain('PROGID  = "K123"');
    expect(await page.locator('#detail-history tr').count()).toBeGreaterThanOrEqual(6);
    await page.locator('#weather canvas').waitFor();
    expect(await page.locator('#weather-note').textContent()).toBe(`From ${weatherId}`);
    await page.screenshot({ path: join(ARTIFACTS, 'portal-k123.png'), fullPage: true });
    await context.close();
  });

  it('a user of another program sees none of them, and their URLs answer 404', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    await login(page, 'k777');
    await page.waitForSelector('body[data-loaded]');
    const weatherId = (await archive.catalog.findArchived({ instrument: 'ATTACHMENT' }))[0]!.archiveId;
    expect(await page.locator('.file').evaluateAll((els) => els.map((e) => e.getAttribute('data-archive-id')))).toEqual([weatherId]);
    const k123 = (await archive.catalog.findArchived({ program: 'K123' }))[0]!.archiveId;
    const statuses = await page.evaluate(
      async (id) => Promise.all([`/ui/files/${id}/content`, `/ui/files/${id}/thumbnail.png`, `/ui/api/files/${id}`].map(async (u) => (await fetch(u)).status)),
      k123,
    );
    expect(statuses).toEqual([404, 404, 404]);
    // The monitor is for tokens of every program.
    await page.goto(`${archive.url}/ui/monitor`);
    expect(page.url()).toBe(`${archive.url}/ui/portal`);
    await page.waitForSelector('body[data-loaded]');
    await page.screenshot({ path: join(ARTIFACTS, 'portal-k777.png'), fullPage: true });
    await context.close();
  });

  it('no token appears in the server log', () => {
    const text = JSON.stringify(logger.lines);
    for (const t of TOKENS) expect(text).not.toContain(t.token!);
  });
});
