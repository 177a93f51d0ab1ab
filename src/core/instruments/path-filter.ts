/**
 * Path patterns of instrument descriptions (`paths.accept` / `paths.reject`): globs or regular expressions,
 * checked at load, and the pure test {@link isPathAccepted}.
 *
 * @module
 */
import { z } from 'zod';
import { addProblem, whenValid } from './_issues.js';
import { checkRegex, regexFlagsSchema } from './condition.js';

/**
 * A glob (`*` any run within a path segment, `**` any number of segments, `?` one character, `[abc]` / `[!abc]`
 * a class, `{a,b}` alternatives) or a JavaScript regular expression. A glob without `/` is matched against the
 * file's base name, a glob with `/` against the whole path; a regex is searched for anywhere in the whole path.
 */
export type PathPattern = { glob: string } | { regex: string; flags?: string };

/** Which paths an instrument's files may have. */
export interface PathRules {
  /** If not empty, a path must match at least one of these. */
  accept: readonly PathPattern[];
  /** A path matching any of these is rejected (the file becomes INVALID), even if accepted above. */
  reject: readonly PathPattern[];
}

const SPECIAL = /[\\^$.|+()]/;

/** Converts a glob (see {@link PathPattern}) to an anchored RegExp. Throws an Error when the glob is malformed. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let inBraces = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw new Error(`unclosed "[" at position ${i}`);
      let body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      out += `[${body}]`;
      i = end;
    } else if (c === '{') {
      if (inBraces) throw new Error(`nested "{" at position ${i} is not supported`);
      inBraces = true;
      out += '(?:';
    } else if (c === '}') {
      if (!inBraces) throw new Error(`unmatched "}" at position ${i}`);
      inBraces = false;
      out += ')';
    } else if (c === ',' && inBraces) out += '|';
    else out += SPECIAL.test(c) ? `\\${c}` : c;
  }
  if (inBraces) throw new Error('unclosed "{"');
  return new RegExp(`^${out}$`);
}

/** Validates one {@link PathPattern}; a malformed glob or regex is a load error naming the field. */
export const pathPatternSchema: z.ZodType<PathPattern> = z
  .strictObject({
    glob: z.string().min(1).optional(),
    regex: z.string().min(1).optional(),
    flags: regexFlagsSchema.optional(),
  })
  .superRefine((p, ctx) => {
    if ((p.glob === undefined) === (p.regex === undefined)) {
      addProblem(ctx, [], 'a path pattern has exactly one of "glob" or "regex"');
      return;
    }
    if (p.glob !== undefined) {
      if (p.flags !== undefined) addProblem(ctx, ['flags'], 'flags only apply to "regex"');
      try {
        globToRegExp(p.glob);
      } catch (error) {
        addProblem(ctx, ['glob'], `invalid glob: ${(error as Error).message}`);
      }
    } else checkRegex(ctx, p.regex!, p.flags, ['regex']);
  }, whenValid) as z.ZodType<PathPattern>;

/** Validates {@link PathRules}; both lists default to empty. */
export const pathRulesSchema = z.strictObject({
  accept: z.array(pathPatternSchema).default([]),
  reject: z.array(pathPatternSchema).default([]),
});

const compiled = new Map<string, RegExp>();

function matches(pattern: PathPattern, path: string): boolean {
  const key = JSON.stringify(pattern);
  let re = compiled.get(key);
  if (!re) {
    re = 'glob' in pattern ? globToRegExp(pattern.glob) : new RegExp(pattern.regex, pattern.flags);
    compiled.set(key, re);
  }
  if ('glob' in pattern && !pattern.glob.includes('/')) return re.test(path.slice(path.lastIndexOf('/') + 1));
  return re.test(path);
}

/**
 * True if `path` passes `rules`: not matched by any reject pattern, and matched by an accept pattern when there
 * are any. Backslashes are treated as `/`.
 */
export function isPathAccepted(rules: PathRules, path: string): boolean {
  const p = path.replace(/\\/g, '/');
  if (rules.reject.some((pattern) => matches(pattern, p))) return false;
  return rules.accept.length === 0 || rules.accept.some((pattern) => matches(pattern, p));
}
