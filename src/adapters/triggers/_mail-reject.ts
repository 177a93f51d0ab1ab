/**
 * Keeping a refused message for inspection: delivered into a Maildir folder (the "rejected" folder) with its
 * reasons as header fields at the top, then an alert. Internal to src/adapters/triggers.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';
import type { TriggerSink } from '../../core/ports/trigger.js';
import type { Envelope, Rejection } from './mail-intake.js';
import { deliverWithHeaders, headerField, uniqueName } from './_mail-maildir.js';
import { alertFrom } from './_submit-queue.js';

/** Header fields fits-ingest puts on top of a kept message. */
export const REJECTED_HEADER = 'X-Fits-Ingest-Rejected';
export const REASON_HEADER = 'X-Fits-Ingest-Reason';
export const RECEIVED_HEADER = 'X-Fits-Ingest-Received';

const MAX_REASONS = 50;

/** The header fields that explain a rejection. */
export function rejectionHeaders(rejection: Rejection, envelope: Envelope, trigger: string): string[] {
  const reasons = rejection.reasons.slice(0, MAX_REASONS).map((reason) => headerField(REASON_HEADER, reason));
  if (rejection.reasons.length > MAX_REASONS) reasons.push(headerField(REASON_HEADER, `… and ${rejection.reasons.length - MAX_REASONS} more`));
  const received = [
    `${new Date(envelope.receivedAt).toISOString()} by ${trigger}`,
    envelope.mailFrom !== undefined ? `from=<${envelope.mailFrom}>` : '',
    envelope.user !== undefined ? `user=${envelope.user}` : '',
    envelope.remoteAddress !== undefined ? `remote=${envelope.remoteAddress}` : '',
  ].filter(Boolean);
  return [headerField(REJECTED_HEADER, rejection.code), ...reasons, headerField(RECEIVED_HEADER, received.join('; '))];
}

/** The error a rejection stands for, naming where the message was kept. */
export function rejectionError(rejection: Rejection, kept?: string): IngestError {
  const more = rejection.reasons.length > 1 ? ` (+${rejection.reasons.length - 1} more reason(s))` : '';
  const where = kept !== undefined ? `; kept as ${kept}` : '';
  return new IngestError(rejection.code, `announcement refused: ${rejection.reasons[0] ?? 'no reason'}${more}${where}`, {
    context: kept !== undefined ? { file: kept } : {},
  });
}

/**
 * Keeps `message` in the Maildir folder `dir` with the reasons on top, raises an alert, and returns the error
 * (whose message names the kept copy). Throws (an IO error) when the copy cannot be written: the caller must
 * then not drop the message (SMTP: answer 451 so the sender retries; Maildir: leave it in new/).
 */
export async function keepRejected(
  sink: TriggerSink,
  dir: string,
  message: Uint8Array | { path: string },
  rejection: Rejection,
  envelope: Envelope,
  trigger: string,
  name: string = uniqueName(envelope.receivedAt),
): Promise<IngestError> {
  const kept = await deliverWithHeaders(dir, name, rejectionHeaders(rejection, envelope, trigger), message);
  const error = rejectionError(rejection, kept);
  alertFrom(sink, trigger, error, kept);
  return error;
}
