/**
 * The HTTP documentation is true: docs/openapi.yaml parses and lists exactly the server's endpoints; every
 * endpoint is in docs/http.md; the curl commands of docs/http.md, run in order by bash against a real server,
 * upload, resume, ingest, submit products and read status; the Python callback verifier there accepts what the
 * server signs and refuses the rest.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROUTES } from '../../../src/adapters/http/_routes.js';
import { signWebhook } from '../../../src/adapters/http/server.js';
import { makeFrame } from '../../../src/simulator/frames.js';
import { removeDir, startArchive, tempDir, type Archive } from './_harness.js';

const run = promisify(execFile);
const doc = readFileSync('docs/http.md', 'utf8');

/** The code blocks of docs/http.md marked `<!-- test: <name> -->`, in order. */
function blocks(name: string): string[] {
  const found = [...doc.matchAll(new RegExp(`<!-- test: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);
  if (found.length === 0) throw new Error(`docs/http.md has no block marked <!-- test: ${name} -->`);
  return found;
}

describe('docs/openapi.yaml', () => {
  const spec = parse(readFileSync('docs/openapi.yaml', 'utf8')) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: unknown };

  it('is OpenAPI 3.1 and lists exactly the endpoints the server routes', () => {
    expect(spec.openapi).toBe('3.1.0');
    const documented = Object.entries(spec.paths)
      .flatMap(([path, item]) => Object.keys(item).filter((k) => ['get', 'head', 'post', 'patch', 'delete', 'put'].includes(k)).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('every $ref points at a component that exists', () => {
    const text = readFileSync('docs/openapi.yaml', 'utf8');
    for (const [, ref] of text.matchAll(/\$ref: '#\/([^']+)'/g)) {
      const target = ref!.split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], spec);
      expect([ref, target !== undefined]).toEqual([ref, true]);
    }
  });
});

describe('docs/http.md', () => {
  let archive: Archive;
  let work: string;
  const token = 'pipeline-token-0123456789abcdef';
  beforeAll(async () => {
    work = tempDir('curl');
    archive = await startArchive({ server: { tokens: [{ site: 'kcwi-drp', token, scopes: ['push', 'read'] }] } });
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 20, 8, minute, 15, 50));
    writeFileSync(join(work, 'kb261120_00001.fits'), makeFrame({ time: at(31), frameNumber: 1, axes: [64, 64] }));
    writeFileSync(join(work, 'kb261120_00002.fits'), makeFrame({ time: at(32), frameNumber: 2, axes: [1024, 1024] }));
    writeFileSync(join(work, 'kb261120_00001_icubed.fits'), makeFrame({ time: at(31), frameNumber: 1, axes: [32, 32], cards: [['PIPELINE', 'KCWI_DRP']] }));
  });
  afterAll(async () => {
    await archive.stop();
    removeDir(archive.dir);
    removeDir(work);
  });

  it('names every endpoint', () => {
    for (const route of ROUTES) expect([route.path, doc.includes(`${route.method} ${route.path}`)]).toEqual([route.path, true]);
  });

  it('its curl commands, run in order, do what the text says', async () => {
    const script = ['set -euo pipefail', ...blocks('curl')].join('\n');
    let stdout: string;
    try {
      ({ stdout } = await run('bash', ['-c', script], { cwd: work, env: { ...process.env, URL: archive.url, TOKEN: token }, timeout: 60_000 }));
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(`the documented commands failed (curl and python3 are needed): ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    }
    expect(stdout).toContain('ARCHIVED KB.20261120.30675.05');
    expect(stdout).toMatch(/"status":"received","sha256":"[0-9a-f]{64}","size":2102400/); // the resumed upload's receipt
    expect(stdout).toContain('"released":[{');
    expect(stdout).toContain('3 archived, 0 held');
    expect(stdout).toContain('3 archived events; released [1] products; cursor True');
    const archived = join(archive.root, 'KCWI', '20261120', 'lev0', 'KB.20261120.30735.05.fits');
    expect(readFileSync(join(work, 'KB.20261120.30735.05.fits')).equals(readFileSync(archived))).toBe(true);
    const view = JSON.parse(readFileSync(join(work, 'file.json'), 'utf8')) as { ingest: { state: string; metrics: { archivedAt: string } } };
    expect(view.ingest.state).toBe('ARCHIVED');
    expect(await archive.catalog.findArchived({ parent: 'KB.20261120.30675.05' })).toHaveLength(1);
  });

  it('its Python callback verifier accepts what the server signs and refuses changed bodies and wrong secrets', async () => {
    const [python] = blocks('python-webhook');
    const secret = 'callback-secret-0123456789';
    const body = JSON.stringify({ event: 'archived', deliveryId: 'd-1', site: 'keck', status: { archiveId: 'KB.1' } });
    const check = `${python}
import sys
body, header = sys.argv[1].encode(), sys.argv[2]
print(verify("${secret}", body, header)["status"]["archiveId"])
for args in ((body.replace(b"KB.1", b"KB.2"), header, "${secret}"), (body, header, "another-secret-000000")):
    try:
        verify(args[2], args[0], args[1]); print("accepted")
    except ValueError as e:
        print("refused:", e)
`;
    const file = join(work, 'verify.py');
    writeFileSync(file, check);
    const { stdout } = await run('python3', [file, body, signWebhook(secret, body)]);
    expect(stdout.trim().split('\n')).toEqual(['KB.1', 'refused: signature does not match', 'refused: signature does not match']);
  });
});
