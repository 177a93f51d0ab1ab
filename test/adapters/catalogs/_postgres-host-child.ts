/**
 * A host that will be killed: run with `node --import tsx`, argument JSON `{ url, archive, owner, paths,
 * transferDelayMs, leaseMs }`. Starts an engine on the PostgreSQL catalog, submits the files (leased to it), prints
 * `{"submitted": n}` and works on them slowly until it is killed.
 */
import { createHost, submitAll } from './_postgres-host.js';

const args = JSON.parse(process.argv[2]!) as { url: string; archive: string; owner: string; paths: string[]; transferDelayMs: number; leaseMs: number };
const host = createHost({ url: args.url, archive: args.archive, owner: args.owner, transferDelayMs: args.transferDelayMs, concurrency: 2, catalog: { leaseMs: args.leaseMs } });
await host.start();
const ids = await submitAll(host, args.paths);
process.stdout.write(`${JSON.stringify({ submitted: ids.length })}\n`);
await host.settled(ids);
process.stdout.write(`${JSON.stringify({ done: ids.length })}\n`);
