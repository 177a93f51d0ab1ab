/**
 * The operator monitor's operations panel in headless Chromium (Debian's, driven by playwright-core), against a real
 * server with a reprocessing service (SQLite processing store, a pipeline that runs until cancelled) over an
 * archive of real frames:
 * - the processing area shows the request running in it, the queue shows the waiting requests in order;
 * - an admin cancels a queued request and the running one from the page: both end CANCELLED, recorded with
 *   `operator:<site>` as actor, and the next queued request takes the area;
 * - the hosts holding leases on the shared catalog are listed (another host's lease included);
 * - the scrub's progress comes from its cursor file (a real scrub pass, then a pass under way) and its coverage;
 * - a read-only token sees all of it but no cancel button, and a forged cancel is refused.
 * Screenshots go to test-artifacts/ (monitor-operations.png).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFunctionProcessor } from '../../../src/adapters/processors/function.js';
import { createIngestServer, type ListeningServer } from '../../../src/adapters/http/server.js';
import { createRecord } from '../../../src/core/lifecycle/record.js';
import type { ProcessingService } from '../../../src/processing/service.js';
import { fileCursor, scrub } from '../../../src/scrub/index.js';
import { buildArchive, calibrationFiles, T0, type TestArchive } from '../processors/_archive.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
const ADMIN = 'admin-token-0123456789abcdef-ops1';
const READER = 'reader-token-0123456789abcdef-nd1';

let t: TestArchive;
let service: ProcessingService;
let server: ReturnType<typeof createIngestServer>;
let listening: ListeningServer;
let browser: Browser;

/** A pipeline that works until its request is cancelled (so requests wait in the queue meanwhile). */
const untilCancelled = createFunctionProcessor({
  name: 'slow_reduce',
  version: '1.0',
  run: (job) => new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(new Error('cancelled')), { once: true })),
});

async function login(page: Page, token: string): Promise<void> {
  await page.goto(`${listening.url}/ui/login`);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(/\/ui\/monitor$/), page.click('button[type=submit]')]);
  await page.waitForSelector('body[data-operations]');
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/setup-test.sh)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  t = await buildArchive('monitor-ops');
  service = await t.service({ processor: untilCancelled, areas: 1 });
  await service.certify({ instrument: 'KCWI', kind: 'imaging', files: calibrationFiles(t.ids), from: T0 - 3_600_000, actor: 'cal' });
  server = createIngestServer({
    ingestor: t.ingestor,
    uploads: join(t.dir, 'uploads'),
    processing: service,
    tokens: [
      { site: 'ops', token: ADMIN, scopes: ['admin'] },
      { site: 'night-desk', token: READER, scopes: ['read'] },
    ],
    pages: { archiveRoot: t.archive },
  });
  listening = await server.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await listening?.close(100);
  await server?.close();
  await t?.close();
});

describe('operator monitor: processing, hosts, scrub', () => {
  it('shows the areas, the queue, the hosts and the scrub; an admin cancels requests from the page', async () => {
    // Three requests: the first runs in the one area, two wait.
    const requests = [];
    for (const label of ['sci1', 'sci2', 'sci3']) requests.push(...(await service.submit({ archiveIds: [t.ids[label]!], requester: 'ana' })));
    const [first, second, third] = requests as [typeof requests[0], typeof requests[0], typeof requests[0]];
    await expect.poll(async () => (await service.get(first.id)).state, { timeout: 20_000 }).toBe('RUNNING');

    // A real scrub pass (cursor file, verification dates), then another host's lease on the shared catalog.
    const cursor = fileCursor(join(t.archive, '.scrub-cursor.json'));
    const report = await scrub({ catalog: t.ingestor.catalog, archive: t.archive, cursor });
    expect(report.complete).toBe(true);
    const total = (await t.ingestor.catalog.findArchived({ limit: 100_000 })).length;
    const other = { ...createRecord({ id: 'rec-other-host', source: '/data/other/f1.fits', originalName: 'f1.fits', trigger: 'watch' }, Date.now()), night: '2026-11-20' };
    await t.ingestor.catalog.insertRecord(other, { recordId: other.id, at: Date.now(), from: null, to: 'DETECTED', cause: 'DETECTED', actor: 'host-b' }, { owner: 'host-b.example.org:4242', until: Date.now() + 600_000 });

    const context = await browser.newContext({ viewport: { width: 1400, height: 1600 } });
    const page = await context.newPage();
    await login(page, ADMIN);
    const area = page.locator('#areas tr[data-area]');
    await expect.poll(() => area.locator('td[data-request]').textContent(), { timeout: 10_000 }).toBe(first.id);
    await expect.poll(() => page.locator('#queue tr[data-request]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-request')))).toEqual([second.id, third.id]);
    expect(await page.locator('#queued').textContent()).toBe('(2 queued)');
    await expect.poll(() => page.locator('#hosts tr[data-host]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-host')))).toContain('host-b.example.org:4242');
    expect(await page.locator('#scrub-pass').textContent()).toBe(`pass ${report.cursor.pass + 1}: 0 of ${total} files checked (0 %), since ${new Date(report.cursor.passStartedAt).toISOString().slice(0, 16)} UT`);
    expect(await page.locator('#scrub').textContent()).toContain(`${report.coverage.copies} copies`);

    // A pass under way: the scrub's cursor after the third archive id (as a scrub stopped there leaves it).
    const ids = (await t.ingestor.catalog.findArchived({ limit: 100_000 })).map((f) => f.archiveId).sort();
    await cursor.save({ ...report.cursor, after: ids[2]!, savedAt: Date.now() });
    await expect.poll(() => page.locator('#scrub-pass').textContent(), { timeout: 10_000 }).toContain(`3 of ${total} files checked`);
    expect(await page.locator('#scrub-progress').evaluate((p) => [(p as unknown as { value: number }).value, (p as unknown as { max: number }).max])).toEqual([3, total]);

    // Cancel the second (queued) from the page; then the running one: the third takes the area.
    await page.locator(`#queue tr[data-request="${second.id}"] button.action`, { hasText: 'cancel' }).click();
    await expect.poll(async () => (await service.get(second.id)).state, { timeout: 10_000 }).toBe('CANCELLED');
    expect((await service.get(second.id)).history.at(-1)).toMatchObject({ cause: 'CANCEL', actor: 'operator:ops' });
    await expect.poll(() => page.locator('#queue tr[data-request]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-request')))).toEqual([third.id]);
    await page.screenshot({ path: join(ARTIFACTS, 'monitor-operations.png'), fullPage: true });
    await area.locator('button.action', { hasText: 'cancel' }).click();
    await expect.poll(async () => (await service.get(first.id)).state, { timeout: 10_000 }).toBe('CANCELLED');
    expect((await service.get(first.id)).history.at(-1)).toMatchObject({ actor: 'operator:ops' });
    await expect.poll(() => area.locator('td[data-request]').textContent(), { timeout: 10_000 }).toBe(third.id);
    await expect.poll(() => page.locator('#message').textContent()).toContain('cancelled');

    // A cancel without the CSRF token is refused.
    const forged = await page.evaluate(async (id) => (await fetch('/ui/actions/cancel', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ requestId: id }) })).status, third.id);
    expect(forged).toBe(403);
    expect((await service.get(third.id)).state).toBe('RUNNING');
    await context.close();

    // A read-only token sees the panel but no cancel button; its cancel is refused.
    const readerContext = await browser.newContext({ viewport: { width: 1400, height: 1200 } });
    const readerPage = await readerContext.newPage();
    await login(readerPage, READER);
    await expect.poll(() => readerPage.locator('#areas td[data-request]').textContent(), { timeout: 10_000 }).toBe(third.id);
    expect(await readerPage.locator('#areas button.action, #queue button.action').count()).toBe(0);
    const csrf = await readerPage.locator('meta[name=csrf]').getAttribute('content');
    const refused = await readerPage.evaluate(async ([id, token]) => (await fetch('/ui/actions/cancel', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token! }, body: JSON.stringify({ requestId: id }) })).status, [third.id, csrf] as const);
    expect(refused).toBe(403);
    await readerContext.close();
    await service.cancel(third.id, 'test');
  }, 120_000);
});
