import { describe, expect, it } from 'vitest';
import { importFunction, importOptional } from '../../src/adapters/_shared/import-optional.js';
import { isIngestError } from '../../src/core/errors.js';

describe('importOptional (the optional peer dependencies, loaded at first use)', () => {
  it('names a package that is not installed, who needs it and the npm command, as DEPENDENCY_MISSING', async () => {
    const peer = { name: 'fits-ingest-no-such-package', range: '2', neededBy: 'the test adapter' };
    const error = await importOptional(peer).catch((e: unknown) => e);
    expect(isIngestError(error, 'DEPENDENCY_MISSING')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('the test adapter needs the optional package fits-ingest-no-such-package');
    expect(message).toContain('`npm install fits-ingest-no-such-package@2`');
    expect((error as { context: { package?: string } }).context.package).toBe('fits-ingest-no-such-package');
  });

  it('returns an installed peer export, CommonJS default or named, and refuses a missing export', async () => {
    const peer = { name: 'nodemailer', neededBy: 'the mail notifier' };
    expect(typeof (await importFunction(peer, 'createTransport'))).toBe('function');
    expect(typeof (await importFunction(peer, 'f', async () => ({ default: { f: () => 1 } })))).toBe('function');
    const error = await importFunction(peer, 'noSuchExport').catch((e: unknown) => e);
    expect(isIngestError(error, 'DEPENDENCY_MISSING')).toBe(true);
    expect((error as Error).message).toContain('nodemailer has no noSuchExport export');
    expect((error as Error).message).toContain('`npm install nodemailer`');
  });
});
