/**
 * The program directory: who is the principal investigator (PI) of an observing program and where to mail them.
 * FITS headers name the program (PROGID) and often the PI (PROGPI) but carry no e-mail address, so the archive
 * keeps this map as data (a JSON or YAML file; see `loadProgramDirectory` in `fits-ingest/notifiers`).
 *
 * @module
 */
import { z } from 'zod';
import { IngestError } from '../errors.js';

const address = z.email();

/** One program's entry. */
export const programEntrySchema = z.strictObject({
  /** The PI's name, used in the greeting. */
  pi: z.string().min(1),
  /** Where the PI is told (one address or several: PI and co-investigators). */
  email: z.union([address, z.array(address).min(1)]),
  /** Program title, quoted in the mail when given. @default undefined */
  title: z.string().min(1).optional(),
});

/** Program id (as in the PROGID keyword, e.g. `K123` or `2026B-U042`) → entry. */
export const programDirectorySchema = z.record(z.string().min(1), programEntrySchema);

/** One program's entry (input form). */
export type ProgramEntry = z.input<typeof programEntrySchema>;
/** Program id → entry. */
export type ProgramDirectory = z.input<typeof programDirectorySchema>;

/**
 * Validates a program directory given as data; `source` names where it came from in errors.
 *
 * @throws IngestError INVALID_OPTIONS naming the program and field that are wrong.
 */
export function parseProgramDirectory(data: unknown, source = 'the program directory'): ProgramDirectory {
  const result = programDirectorySchema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  throw new IngestError('INVALID_OPTIONS', `${source}: ${field || '(root)'}: ${issue.message}`, {
    context: { field, file: source },
    hint: 'each program id maps to { pi: "Name", email: "pi@example.org" or [addresses], title?: "…" }',
    cause: result.error,
  });
}

/** The addresses of a program's PI, or [] when the program is not in the directory. */
export function piAddresses(directory: ProgramDirectory, program: string): string[] {
  const entry = Object.hasOwn(directory, program) ? directory[program] : undefined;
  if (!entry) return [];
  return Array.isArray(entry.email) ? [...entry.email] : [entry.email];
}
