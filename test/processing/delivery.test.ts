import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailNotifier } from '../../src/adapters/notifiers/mail.js';
import type { Notifier } from '../../src/core/ports/notifier.js';
import type { ProcessingService } from '../../src/processing/service.js';
import { startSmtpSink, type SmtpSink } from '../adapters/notifiers/_smtp-sink.js';
import { buildArchive, calibrationFiles, examplePipeline, T0, type TestArchive } from '../adapters/processors/_archive.js';

async function until<T>(what: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await what();
    if (value) return value;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('delivery: the requester is mailed when the products are ready', { timeout: 180_000 }, () => {
  let t: TestArchive;
  let sink: SmtpSink;
  let notifier: Notifier;
  let service: ProcessingService;
  const counter = (): number => (existsSync(join(t.dir, 'runs')) ? readFileSync(join(t.dir, 'runs'), 'utf8').trim().split('\n').length : 0);

  beforeAll(async () => {
    t = await buildArchive('delivery');
    sink = await startSmtpSink();
    notifier = createMailNotifier({ transport: { host: '127.0.0.1', port: sink.port, ignoreTLS: true }, from: 'KOA reprocessing <koa@archive.example.org>' });
    const directory: Record<string, string[]> = { bob: ['bob@example.org'] };
    service = await t.service({
      processor: examplePipeline(join(t.dir, 'runs')), areas: 2,
      options: { delivery: { notifier, filesUrl: 'https://archive.example.org/', recipients: (who) => directory[who] ?? (who.includes('@') ? [who] : []) } },
    });
    await service.certify({ instrument: 'KCWI', kind: 'imaging', files: calibrationFiles(t.ids), from: T0 - 3_600_000, actor: 'cal' });
  });
  afterAll(async () => {
    await t?.close();
    await notifier?.close?.();
    await sink?.close();
  });

  it('one mail per batch, over SMTP, once every request finished, listing each product with its HTTP URL', async () => {
    const requests = await service.submit({ program: 'K123', requester: 'ana@example.edu' });
    expect(requests).toHaveLength(3);
    const done = await service.settled(requests.map((r) => r.id), { timeoutMs: 120_000 });
    expect(done.map((r) => r.state)).toEqual(['DONE', 'DONE', 'DONE']);
    const record = await until(async () => (await service.context.store.getDelivery(requests[0]!.batch!))?.sentAt !== undefined && service.context.store.getDelivery(requests[0]!.batch!));
    expect(record).toMatchObject({ to: ['ana@example.edu'] });
    expect(sink.mails).toHaveLength(1);
    const [mail] = sink.mails;
    expect(mail).toMatchObject({ rcpt: ['ana@example.edu'], kind: 'products-ready', subject: expect.stringContaining('3 product(s) ready') });
    for (const label of ['sci1', 'sci2', 'sci3']) {
      expect(mail!.text).toContain(`https://archive.example.org/v1/files/${t.ids[label]}_reduced/content`);
    }
    expect(mail!.text).toContain('3 done, 0 failed, 0 cancelled');
    expect(mail!.text).not.toContain(t.ids['other']!);
  });

  it('a cached answer and a failed request are reported too; a requester without address gets no mail, and the store says why', async () => {
    const before = sink.mails.length;
    // bob (from the directory): sci1 again (the cache answers) and the K999 frame with an explicit set version that does not exist
    const cached = await service.submit({ archiveIds: [t.ids['sci1']!], requester: 'bob' });
    const missing = await service.submit({ archiveIds: [t.ids['other']!], requester: 'bob', calibration: 9 });
    await service.settled([...cached, ...missing].map((r) => r.id), { timeoutMs: 60_000 });
    await until(async () => sink.mails.length >= before + 2);
    const bobs = sink.mails.slice(before);
    expect(bobs.every((m) => m.rcpt.join() === 'bob@example.org')).toBe(true);
    const fromCache = bobs.find((m) => m.text.includes('from the result cache'));
    expect(fromCache?.text).toContain(`${t.ids['sci1']}_reduced`);
    const failed = bobs.find((m) => m.subject.includes('1 failed'));
    expect(failed?.text).toMatch(/Failed:\n\s+\S+\s+CALIBRATION_NOT_FOUND/);
    expect(counter()).toBe(3); // the cached one ran nothing

    const anonymous = await service.submit({ archiveIds: [t.ids['sci2']!], requester: 'nobody' });
    await service.settled(anonymous.map((r) => r.id));
    const record = await until(() => service.context.store.getDelivery(anonymous[0]!.batch!).then((d) => (d?.error ? d : undefined)));
    expect(record.error).toMatch(/no address for the requester nobody/);
    expect(sink.mails).toHaveLength(before + 2);
  });
});
