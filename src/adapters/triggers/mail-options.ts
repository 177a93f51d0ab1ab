/**
 * Options the SMTP and Maildir triggers share (roots, secrets, limits) and the settings of the intake built from
 * them. Internal to src/adapters/triggers.
 *
 * @module
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseOptions } from '../_shared/options.js';
import type { IntakeSettings } from './mail-intake.js';

const secret = z.string().min(16, 'use a secret of at least 16 characters');

/** Fields of both mail triggers (spread into each trigger's schema). */
export const mailIntakeShape = {
  /** Directories announced files must lie under (absolute after resolving). */
  roots: z.array(z.string().min(1)).min(1),
  /**
   * Shared secret(s) for signed bodies (`X-Fits-Ingest-Signature`); several during a key rotation.
   * @default undefined (no signature checked)
   */
  secret: z.union([secret, z.array(secret).min(1)]).optional(),
  /** Refuse unsigned bodies. A wrong signature is always refused. @default true when `secret` is set */
  requireSignature: z.boolean().optional(),
  /** Oldest signature accepted (mail waits in queues). @default 86400000 (one day) */
  signatureMaxAgeMs: z.int().min(1000).default(86_400_000),
  /** How far ahead of this machine's clock a signature may be dated. @default 300000 */
  signatureMaxFutureMs: z.int().min(0).default(300_000),
  /** Largest message accepted, in bytes. @default 1048576 */
  maxMessageBytes: z.int().min(1024).max(1024 ** 3).default(1_048_576),
  /** Most files one message may announce. @default 1000 */
  maxFilesPerMessage: z.int().min(1).default(1000),
  /** Submits in flight at most, across all messages. @default 4 */
  maxConcurrentSubmits: z.int().min(1).max(1000).default(4),
  /** Announcements remembered for dropping repeats (oldest forgotten first). @default 100000 */
  seenLimit: z.int().min(1).default(100_000),
};

const intakeSchema = z.strictObject(mailIntakeShape);
type IntakeOptions = z.output<typeof intakeSchema>;

/** The secrets as a list. */
export function secretsOf(options: Pick<IntakeOptions, 'secret'>): string[] {
  return options.secret === undefined ? [] : Array.isArray(options.secret) ? options.secret : [options.secret];
}

/** The intake settings of a trigger. */
export function intakeSettings(trigger: string, options: IntakeOptions): IntakeSettings {
  const secrets = secretsOf(options);
  return {
    trigger,
    roots: options.roots.map((root) => resolve(root)),
    secrets,
    requireSignature: options.requireSignature ?? secrets.length > 0,
    signatureWindow: { maxAgeMs: options.signatureMaxAgeMs, maxFutureMs: options.signatureMaxFutureMs },
    maxFilesPerMessage: options.maxFilesPerMessage,
  };
}

/** Adds an issue when signatures are required without a secret. */
export function refineSignature(options: Pick<IntakeOptions, 'secret' | 'requireSignature'>, ctx: z.RefinementCtx): void {
  if (options.requireSignature === true && options.secret === undefined) {
    ctx.addIssue({ code: 'custom', path: ['requireSignature'], message: 'requireSignature needs a secret' });
  }
}

/** The intake settings for `input` with the defaults filled in (for tools that read messages outside a trigger). */
export function parseIntakeSettings(trigger: string, input: z.input<typeof intakeSchema>): IntakeSettings {
  return intakeSettings(trigger, parseOptions(intakeSchema, input, trigger));
}
