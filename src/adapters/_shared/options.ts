/**
 * Option parsing for adapters: zod at the edge, failures as one INVALID_OPTIONS error naming every bad field.
 * Internal to src/adapters.
 *
 * @module
 */
import { z } from 'zod';
import { IngestError } from '../../core/errors.js';

/** Parses `input` with `schema`, or throws IngestError INVALID_OPTIONS naming the adapter and the fields. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, adapter: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => issue.path.map(String).join('.') || '(root)');
  throw new IngestError('INVALID_OPTIONS', `invalid options for ${adapter}:\n${z.prettifyError(result.error)}`, {
    context: { field: fields[0], fields },
    cause: result.error,
  });
}
