/**
 * `fits-ingest mail …`: helpers for announcement mail (docs/mail.md) — hash an SMTP password for the users table,
 * sign a body for senders that script their mail (swaks, sendmail), and check a message as the receivers would.
 * Secrets are read from environment variables, never from the command line (it shows in `ps` and in histories).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { IngestError } from '../../core/errors.js';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, errorLine, printJsonLine, type CliIo } from '../_output.js';

/** The value of the environment variable `name`, or a usage error naming it. */
function fromEnv(name: string, what: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new IngestError('INVALID_OPTIONS', `the environment variable ${name} (${what}) is not set`, { context: { field: name } });
  }
  return value;
}

export function registerMailCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const mail = program.command('mail').description('announcement mail: hash SMTP passwords, sign bodies, check messages (docs/mail.md)');
  const fail = (command: string, error: unknown): void => {
    io.stderr.write(`fits-ingest mail ${command}: ${errorLine(error)}\n`);
    setExit(EXIT_USAGE);
  };

  mail
    .command('hash-password')
    .description('print an scrypt hash of a password for the users table of the SMTP trigger (user:<hash>)')
    .requiredOption('--password-env <var>', 'environment variable holding the password')
    .addHelpText('after', '\nExample:\n  MAILPW=… fits-ingest mail hash-password --password-env MAILPW')
    .action(async (options: { passwordEnv: string }) => {
      try {
        const { hashMailPassword } = await import('../../adapters/triggers/mail-users.js');
        io.stdout.write(`${await hashMailPassword(fromEnv(options.passwordEnv, 'the password'))}\n`);
        setExit(EXIT_OK);
      } catch (error) {
        fail('hash-password', error);
      }
    });

  mail
    .command('sign')
    .description('print the X-Fits-Ingest-Signature value of an announcement body')
    .argument('<body-file>', 'the body as it will be sent')
    .requiredOption('--secret-env <var>', 'environment variable holding the shared secret')
    .option('--time <unix-seconds>', 'signing time (default: now)')
    .addHelpText(
      'after',
      '\nExample:\n  sig=$(fits-ingest mail sign body.txt --secret-env STB_SECRET)\n' +
        '  swaks --server archive:2525 --auth-user stb … --header "Subject: fits-ingest announce" \\\n' +
        '        --header "X-Fits-Ingest-Signature: $sig" --body @body.txt',
    )
    .action(async (file: string, options: { secretEnv: string; time?: string }) => {
      try {
        const { signBody } = await import('../../adapters/_shared/signature.js');
        const seconds = options.time === undefined ? Date.now() / 1000 : Number(options.time);
        if (!Number.isFinite(seconds) || seconds < 0) throw new IngestError('INVALID_OPTIONS', `--time ${options.time}: expected unix seconds`, { context: { field: 'time' } });
        io.stdout.write(`${signBody(await readFile(file, 'utf8'), fromEnv(options.secretEnv, 'the shared secret'), seconds * 1000)}\n`);
        setExit(EXIT_OK);
      } catch (error) {
        fail('sign', error);
      }
    });

  mail
    .command('check')
    .description('read a message file (RFC 5322, as in a Maildir) as the mail triggers would; exit 1 if they would refuse it')
    .argument('<message-file>', 'the message')
    .requiredOption('--root <dir...>', 'accepted roots of announced paths')
    .option('--secret-env <var>', 'environment variable holding the shared secret (then a signature is required)')
    .option('--json', 'one JSON object')
    .action(async (file: string, options: { root: string[]; secretEnv?: string; json?: boolean }) => {
      try {
        const { readAnnouncement } = await import('../../adapters/triggers/mail-intake.js');
        const { parseIntakeSettings } = await import('../../adapters/triggers/mail-options.js');
        const secret = options.secretEnv === undefined ? undefined : fromEnv(options.secretEnv, 'the shared secret');
        const settings = parseIntakeSettings('mail-check', { roots: options.root, ...(secret !== undefined ? { secret } : {}) });
        const intake = await readAnnouncement(await readFile(file), { receivedAt: Date.now() }, settings);
        const result = intake.ok
          ? { accepted: true, files: intake.announced.map(({ item }) => ({ path: item.path, ...item.metadata })) }
          : { accepted: false, code: intake.rejection.code, reasons: intake.rejection.reasons };
        if (options.json) printJsonLine(io, result);
        else if (intake.ok) io.stdout.write(`accepted: ${intake.announced.map(({ item }) => item.path).join('\n          ')}\n`);
        else io.stdout.write(`refused (${intake.rejection.code}):\n${intake.rejection.reasons.map((r) => `  ${r}\n`).join('')}`);
        setExit(intake.ok ? EXIT_OK : EXIT_CHECK_FAILED);
      } catch (error) {
        fail('check', error);
      }
    });
}
