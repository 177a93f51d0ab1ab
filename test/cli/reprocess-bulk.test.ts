import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteProcessingStore } from '../../src/adapters/processing-stores/sqlite.js';
import { ingestorFromOptions } from '../../src/cli/_run-ingestor.js';
import type { ProcessingRequest } from '../../src/core/processing/request.js';
import { buildArchive, PIPELINE } from '../adapters/processors/_archive.js';
import { cli } from '../helpers/cli.js';

const BIN = join(process.cwd(), 'dist/cli/main.js');

describe('fits-ingest reprocess --instrument X --all --rate: killed, then resumed', { timeout: 240_000 }, () => {
  it('after a SIGKILL the same command resumes the batch: finished requests are not redone, each product is archived once', async () => {
    const t = await buildArchive('bulk-cli');
    await t.close();
    const base = ['--archive', t.archive];
    const cert = await cli('calib', 'certify', ...base, '--instrument', 'KCWI', '--file', `bias=${t.ids['bias1']}`, '--file', `bias=${t.ids['bias2']}`, '--file', `flat=${t.ids['flat1']}`, '--from', '2026-11-20');
    expect(cert.code, cert.stderr).toBe(0);
    const runs = join(t.dir, 'runs');
    const args = ['reprocess', ...base, '--instrument', 'KCWI', '--all', '--rate', '30/min', '--areas', '1', '--wait', '--pipeline', `echo run >> '${runs}'; /usr/bin/python3 '${PIPELINE}'`];

    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const store = createSqliteProcessingStore({ path: join(t.archive, 'catalog.sqlite') });
    await store.init();
    const all = (): Promise<ProcessingRequest[]> => store.findRequests({ limit: 100 });
    // kill it once a request is DONE (the others wait for their turn: one start per 2 s)
    const deadline = Date.now() + 120_000;
    while (!(await all()).some((r) => r.state === 'DONE')) {
      if (Date.now() > deadline) throw new Error(`no request finished: ${err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    await exited;
    const atKill = await all();
    expect(atKill).toHaveLength(4);
    const doneAtKill = atKill.filter((r) => r.state === 'DONE');
    const unfinished = atKill.filter((r) => r.state !== 'DONE');
    expect(unfinished.length).toBeGreaterThan(0);

    const again = await cli(...args);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(again.stdout).toContain(`resuming the unfinished bulk batch ${atKill[0]!.batch}: ${doneAtKill.length} of 4 done`);
    const final = await all();
    expect(final).toHaveLength(4); // no second batch
    expect(final.map((r) => r.state)).toEqual(['DONE', 'DONE', 'DONE', 'DONE']);
    for (const before of doneAtKill) expect(final.find((r) => r.id === before.id)!.history).toEqual(before.history); // not redone
    // started once, except the jobs the kill interrupted, which ran again; the pipeline ran at most that often
    for (const r of final) expect(r.attempts).toBe(atKill.find((k) => k.id === r.id)!.state === 'RUNNING' ? 2 : 1);
    const lines = readFileSync(runs, 'utf8').trim().split('\n').length;
    expect(lines).toBeGreaterThanOrEqual(4);
    expect(lines).toBeLessThanOrEqual(4 + atKill.filter((r) => r.state === 'RUNNING').length);
    await store.close();
    const { ingestor } = await ingestorFromOptions({ archive: t.archive });
    await ingestor.catalog.init();
    for (const r of final) expect(await ingestor.catalog.archivedVersions!(r.products[0]!)).toHaveLength(1);
    await ingestor.catalog.close();
  });
});
