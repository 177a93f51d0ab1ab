/**
 * `fits-ingest media receive|apply`: the data center's side of the untended media transport — index messages
 * (each closed volume's files with their volume, copy, member, offset and serial, and their catalog entries)
 * applied to this site's catalog; see docs/media.md.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { IngestError } from '../../core/errors.js';
import { EXIT_CHECK_FAILED, EXIT_OK, printJsonLine, type CliIo } from '../_output.js';
import { withCatalog } from '../_with-catalog.js';

const messages = () => import('../../adapters/transports/media/index.js');

interface ReceiveOptions {
  catalog: string;
  port: string;
  host: string;
  secretEnv: string;
  volumeRoot?: string;
  json?: boolean;
}

async function receive(io: CliIo, options: ReceiveOptions): Promise<number> {
  const secret = process.env[options.secretEnv];
  if (!secret) throw new IngestError('INVALID_OPTIONS', `the environment variable ${options.secretEnv} (--secret-env) is empty`, { context: { field: 'secret-env' } });
  const { createIndexMessageHandler } = await messages();
  return withCatalog(options.catalog, async (catalog) => {
    const handler = createIndexMessageHandler({ catalog, secret, ...(options.volumeRoot ? { volumeRoot: options.volumeRoot } : {}) });
    const server = createServer((req, res) => {
      res.on('finish', () => io.stderr.write(`fits-ingest media receive: ${req.method} ${req.url} ${res.statusCode}\n`));
      handler(req, res);
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(Number(options.port), options.host, resolve));
    const { port } = server.address() as AddressInfo;
    if (options.json) printJsonLine(io, { event: 'listening', port, url: `http://${options.host}:${port}/` });
    io.stderr.write(`fits-ingest media receive: listening on http://${options.host}:${port}/\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop).off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop).on('SIGTERM', stop);
    });
    await new Promise((resolve) => server.close(resolve));
    return EXIT_OK;
  });
}

async function apply(io: CliIo, files: string[], options: { catalog: string; volumeRoot?: string; json?: boolean }): Promise<number> {
  const { applyIndexMessage, parseIndexMessage } = await messages();
  return withCatalog(options.catalog, async (catalog) => {
    let skipped = 0;
    for (const file of files) {
      const report = await applyIndexMessage(catalog, parseIndexMessage(readFileSync(file, 'utf8')), options.volumeRoot ? { volumeRoot: options.volumeRoot } : {});
      skipped += report.skipped.length;
      if (options.json) printJsonLine(io, { file, ...report });
      else {
        for (const s of report.skipped) io.stderr.write(`fits-ingest media apply: ${file}: serial ${s.serial} ${s.archiveId ?? ''}: ${s.reason}\n`);
        io.stdout.write(`${file}: ${report.located} locations, ${report.restored.length} files restored, ${report.skipped.length} skipped\n`);
      }
    }
    return skipped > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
  });
}

/** The `media` command's action wrapper (exit codes, errors on stderr). */
type Wrap = <A extends unknown[]>(name: string, body: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;

/** Adds `receive` and `apply` to the `media` command. */
export function registerMediaMessageCommands(command: Command, io: CliIo, wrap: Wrap): void {
  command
    .command('receive')
    .description('receive the index messages of a remote untended media transport (watch/serve --media-send) and apply them to this catalog')
    .requiredOption('--catalog <spec>', 'catalog: sqlite:FILE or postgres://USER@HOST/DATABASE')
    .requiredOption('--secret-env <var>', 'environment variable holding the shared secret the messages are signed with')
    .option('--port <n>', 'TCP port (0 = any free port, printed at start)', '8090')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--volume-root <dir>', 'where this site keeps the volumes: locations are DIR/<volume file>#<member> (default: the sender\'s paths)')
    .option('--json', 'print the listening port as JSON')
    .addHelpText('after', '\nExample:\n  STB_SECRET=… fits-ingest media receive --catalog sqlite:/vault/catalog.sqlite --port 8090 --host 0.0.0.0 --secret-env STB_SECRET --volume-root /vault/media')
    .action(wrap('receive', (options: ReceiveOptions) => receive(io, options)));
  command
    .command('apply')
    .description('apply index messages kept as files (e.g. received by mail) to this catalog')
    .argument('<message...>', 'message files (JSON)')
    .requiredOption('--catalog <spec>', 'catalog: sqlite:FILE or postgres://USER@HOST/DATABASE')
    .option('--volume-root <dir>', 'where this site keeps the volumes')
    .option('--json', 'one JSON report per message')
    .addHelpText('after', '\nExit status: 0 every file located or restored, 1 a member was skipped (another file under its archive id…).')
    .action(wrap('apply', (files: string[], options: { catalog: string; volumeRoot?: string; json?: boolean }) => apply(io, files, options)));
}
