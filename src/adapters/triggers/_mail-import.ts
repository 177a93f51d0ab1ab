/**
 * Lazy loading of the mail packages (smtp-server, mailparser, nodemailer): imported only when a mail adapter
 * starts, with a clear DEPENDENCY_MISSING error when one is not installed. Internal to src/adapters.
 *
 * @module
 */
import { IngestError } from '../../core/errors.js';

/**
 * Imports the package `name` and returns its function export `exportName` (a named export, or a property of the
 * default export as CommonJS packages give it).
 *
 * @throws IngestError DEPENDENCY_MISSING naming the package, who needs it and how to install it.
 */
export async function importFunction<T>(name: string, exportName: string, neededBy: string, install: string): Promise<T> {
  try {
    const mod = (await import(name)) as Record<string, unknown> & { default?: Record<string, unknown> };
    const value = mod[exportName] ?? mod.default?.[exportName];
    if (typeof value !== 'function') throw new Error(`${name} has no ${exportName} export`);
    return value as T;
  } catch (error) {
    throw new IngestError('DEPENDENCY_MISSING', `${neededBy} needs the package ${name}, which did not load`, {
      cause: error,
      context: { package: name },
      hint: `run \`${install}\` in the project that uses fits-ingest`,
    });
  }
}
