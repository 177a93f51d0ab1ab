/**
 * Turns zod issues into problems a person can act on: a field path rendered like `keywordTable[3].type` and a
 * plain message. Internal to src/instruments.
 *
 * @module
 */
import type { z } from 'zod';

/** One problem in an instrument description. */
export interface ConfigProblem {
  /** Path from the root of the description, e.g. `['keywordTable', 3, 'type']`. */
  path: PropertyKey[];
  message: string;
}

/** Splits one zod issue into problems (an unknown-keys issue becomes one problem per key) with readable messages. */
export function problemsOf(issue: z.core.$ZodIssue): ConfigProblem[] {
  const path = [...issue.path];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...path, key], message: `unknown field "${key}" (check the spelling)` }));
  }
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) {
    return [{ path, message: `required field is missing (expected ${issue.expected})` }];
  }
  return [{ path, message: issue.message }];
}

/** Renders a path like `keywordTable[3].type` or `keywordMap.DATE-OBS[0]`; the root is `(root)`. */
export function formatField(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Reports every issue of a nested parse on `ctx`, relative to the value being refined. Used where a schema picks
 * its branch by hand (conditions) so the messages name the real field instead of "invalid union".
 */
export function forwardIssues(ctx: z.core.$RefinementCtx, issues: readonly z.core.$ZodIssue[]): void {
  for (const issue of issues) {
    for (const problem of problemsOf(issue)) {
      addProblem(ctx, problem.path, problem.message);
    }
  }
}

/**
 * Options for refinements that check several fields together: run only when the fields themselves parsed, so a
 * refinement never sees half-valid data (zod 4 otherwise runs it after non-aborting issues).
 */
export const whenValid = { when: (payload: z.core.ParsePayload): boolean => payload.issues.length === 0 };

/** Reports a custom problem at `path` (relative to the value being refined). */
export function addProblem(ctx: z.core.$RefinementCtx, path: PropertyKey[], message: string): void {
  ctx.addIssue({ code: 'custom', path, message });
}
