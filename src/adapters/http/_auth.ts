/**
 * Bearer tokens of the ingest server: the tokens file (JSON or YAML), scopes, instruments and expiry, and the
 * constant-time lookup of a presented token. Internal to src/adapters/http.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { IngestError } from '../../core/errors.js';
import { parseOptions } from '../_shared/options.js';

/** What a token may do: `push` files and products, `read` status and content, `admin` everything. */
export const SCOPES = ['push', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'the SHA-256 (64 lower-case hex digits) of the token');

/** One token entry of the tokens file. */
export const tokenEntrySchema = z
  .strictObject({
    /** Who holds the token (a site or a pipeline); recorded with every file it sends, and in callbacks. */
    site: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a site name of A-Z a-z 0-9 . _ -'),
    /** The token itself (at least 24 characters). Prefer `sha256` so the file holds no secret. */
    token: z.string().min(24).optional(),
    /** SHA-256 (hex) of the token: `printf %s "$TOKEN" | sha256sum`. */
    sha256: hex64.optional(),
    /** What the token may do. */
    scopes: z.array(z.enum(SCOPES)).min(1),
    /** Instruments the token may send or read (upper or lower case); `*` for all. @default ['*'] */
    instruments: z.array(z.string().min(1)).min(1).default(['*']),
    /**
     * Programs (PROGID, e.g. K123) whose proprietary files the token may read before their release date; `*` for
     * all. Files of other programs are, for this token, not there until released. @default ['*']
     */
    programs: z.array(z.string().regex(/^(\*|[A-Za-z0-9._+-]{1,64})$/, 'a program id of A-Z a-z 0-9 . _ + -, or *')).min(1).default(['*']),
    /**
     * Programs whose PI holds this token: the archive's admin says so here, never the caller. A PI may grant other
     * sites read access to the program's proprietary files (`POST /v1/programs/{program}/collaborators`), and is
     * told by mail when the program's files are released (with `email`). The PI's own token reads them too.
     * (absent: none)
     */
    pi: z.array(z.string().regex(/^[A-Za-z0-9._+-]{1,64}$/, 'a program id of A-Z a-z 0-9 . _ + -')).optional(),
    /** Where release notices of the programs this token leads (`pi`) are mailed. */
    email: z.email().optional(),
    /** The token is refused after this instant (ISO 8601, e.g. 2027-01-31 or 2027-01-31T12:00:00Z). */
    expires: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional(),
    /** Where to POST signed status callbacks for files this token sends (archived, failed). */
    callback: z
      .strictObject({
        url: z.url({ protocol: /^https?$/ }),
        /** HMAC-SHA256 secret shared with the receiver (at least 16 characters). */
        secret: z.string().min(16),
      })
      .optional(),
  })
  .refine((entry) => (entry.token === undefined) !== (entry.sha256 === undefined), {
    message: 'give exactly one of token or sha256',
  });

/** A token entry, as written in the tokens file. */
export type TokenEntry = z.input<typeof tokenEntrySchema>;

const tokensFileSchema = z.union([z.strictObject({ tokens: z.array(tokenEntrySchema) }), z.array(tokenEntrySchema)]);

/** Who made a request, once the token is checked. */
export interface Principal {
  site: string;
  scopes: ReadonlySet<Scope>;
  /** Upper-case instrument names, or '*'. */
  instruments: ReadonlySet<string> | '*';
  /** Upper-case program ids whose proprietary files it may read, or '*' (absent: '*'). */
  programs?: ReadonlySet<string> | '*';
  /** Upper-case program ids whose PI holds the token (from the tokens file). */
  leads?: ReadonlySet<string>;
  /**
   * Upper-case program ids the programs' PIs granted this site, kept current by the server (a grant or a revocation
   * holds at once, even for an open event stream).
   */
  granted?: ReadonlySet<string>;
  callback?: { url: string; secret: string };
}

interface StoredToken {
  email?: string;
  digest: Buffer;
  principal: Principal;
  expiresAt: number;
}

const digestOf = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * Reads a tokens file: `{ tokens: [...] }` or a bare list, in JSON or YAML.
 *
 * @throws IngestError INVALID_OPTIONS naming the file and the field.
 */
export async function loadTokensFile(path: string): Promise<TokenEntry[]> {
  let data: unknown;
  try {
    data = parseYaml(await readFile(path, 'utf8'));
  } catch (error) {
    throw new IngestError('INVALID_OPTIONS', `cannot read the tokens file ${path}: ${(error as Error).message}`, {
      context: { file: path },
      cause: error,
    });
  }
  const parsed = parseOptions(tokensFileSchema, data, `the tokens file ${path}`);
  return Array.isArray(parsed) ? parsed : parsed.tokens;
}

/** The tokens a server accepts; lookups take the same time whichever entry matches. */
export class TokenStore {
  readonly #tokens: StoredToken[];
  /** Programs granted to each site, one live set per site shared by its principals. */
  readonly #granted = new Map<string, Set<string>>();

  constructor(entries: readonly TokenEntry[]) {
    const parsed = parseOptions(z.array(tokenEntrySchema), entries, 'the ingest server tokens');
    this.#tokens = parsed.map((entry) => ({
      digest: entry.token !== undefined ? digestOf(entry.token) : Buffer.from(entry.sha256!, 'hex'),
      ...(entry.email ? { email: entry.email } : {}),
      expiresAt: entry.expires === undefined ? Infinity : Date.parse(entry.expires.length === 10 ? `${entry.expires}T23:59:59.999Z` : entry.expires),
      principal: {
        site: entry.site,
        scopes: new Set(entry.scopes),
        instruments: entry.instruments.includes('*') ? '*' : new Set(entry.instruments.map((i) => i.toUpperCase())),
        programs: entry.programs.includes('*') ? '*' : new Set(entry.programs.map((p) => p.toUpperCase())),
        leads: new Set((entry.pi ?? []).map((p) => p.toUpperCase())),
        granted: this.#grantedOf(entry.site),
        ...(entry.callback ? { callback: entry.callback } : {}),
      },
    }));
  }

  #grantedOf(site: string): Set<string> {
    let set = this.#granted.get(site);
    if (!set) this.#granted.set(site, (set = new Set()));
    return set;
  }

  /** Replaces the programs granted to every site (what the catalog stores); open sessions and streams see it at once. */
  setGrants(grants: readonly { program: string; site: string }[]): void {
    const next = new Map<string, Set<string>>();
    for (const g of grants) next.set(g.site, (next.get(g.site) ?? new Set()).add(g.program.toUpperCase()));
    for (const [site, set] of this.#granted) {
      set.clear();
      for (const program of next.get(site) ?? []) set.add(program);
    }
    for (const [site, programs] of next) if (!this.#granted.has(site)) this.#granted.set(site, programs);
  }

  /** The PIs of a program (sites whose token leads it) with their mail address, when the tokens file gives one. */
  leadersOf(program: string): { site: string; email?: string }[] {
    const wanted = program.toUpperCase();
    const found = new Map<string, { site: string; email?: string }>();
    for (const { principal: p, email } of this.#tokens) {
      if (p.leads?.has(wanted)) found.set(p.site, { site: p.site, ...(email ?? found.get(p.site)?.email ? { email: email ?? found.get(p.site)!.email! } : {}) });
    }
    return [...found.values()];
  }

  /** True when some token of the tokens file belongs to `site`. */
  hasSite(site: string): boolean {
    return this.#tokens.some((t) => t.principal.site === site);
  }

  /** The callback target of a site, if its token has one. */
  callbackOf(site: string): { url: string; secret: string } | undefined {
    return this.#tokens.find((t) => t.principal.site === site && t.principal.callback)?.principal.callback;
  }

  /**
   * The principal of a token known by its SHA-256 (hex), e.g. the token that registered a subscription; undefined
   * when the token is no longer accepted (removed from the tokens file, or expired).
   */
  byDigest(sha256: string, now: number): Principal | undefined {
    const wanted = Buffer.from(sha256, 'hex');
    const found = this.#tokens.find((t) => t.digest.length === wanted.length && timingSafeEqual(t.digest, wanted));
    return found && now <= found.expiresAt ? found.principal : undefined;
  }

  /**
   * The principal of an `Authorization` header.
   *
   * @throws IngestError UNAUTHORIZED for a missing, malformed, unknown or expired token.
   */
  authenticate(header: string | undefined, now: number): Principal {
    const match = /^Bearer[ ]+([\x21-\x7e]+)\s*$/i.exec(header ?? '');
    if (!match) throw new IngestError('UNAUTHORIZED', header ? 'the Authorization header is not "Bearer <token>"' : 'no bearer token');
    const presented = digestOf(match[1]!);
    let found: StoredToken | undefined;
    // Compare with every entry, whatever matches, so the time taken says nothing about the tokens.
    for (const token of this.#tokens) if (timingSafeEqual(token.digest, presented) && !found) found = token;
    if (!found) throw new IngestError('UNAUTHORIZED', 'unknown token');
    if (now > found.expiresAt) {
      throw new IngestError('UNAUTHORIZED', `the token of ${found.principal.site} expired on ${new Date(found.expiresAt).toISOString()}`);
    }
    return found.principal;
  }
}

/** SHA-256 (hex) of the bearer token of an `Authorization` header, or null without one. */
export function bearerDigest(header: string | undefined): string | null {
  const match = /^Bearer[ ]+([\x21-\x7e]+)\s*$/i.exec(header ?? '');
  return match ? digestOf(match[1]!).toString('hex') : null;
}

/** Anonymous access (tests on loopback only): every scope, every instrument. */
export const ANONYMOUS: Principal = { site: 'anonymous', scopes: new Set(SCOPES), instruments: '*' };

/**
 * Checks that `principal` may do `scope` (admin may do everything) on `instrument` (when the request names one).
 * A token limited to some instruments must name the instrument of what it sends.
 *
 * @throws IngestError FORBIDDEN
 */
export function authorize(principal: Principal, scope: Scope, instrument?: string | null): void {
  if (!principal.scopes.has(scope) && !principal.scopes.has('admin')) {
    throw new IngestError('FORBIDDEN', `the token of ${principal.site} lacks the "${scope}" scope`);
  }
  if (principal.instruments === '*') return;
  if (instrument === undefined || instrument === null) {
    throw new IngestError('FORBIDDEN', `the token of ${principal.site} is limited to ${[...principal.instruments].join(', ')}; name the instrument`);
  }
  if (!principal.instruments.has(instrument.toUpperCase())) {
    throw new IngestError('FORBIDDEN', `the token of ${principal.site} may not use instrument ${instrument}`);
  }
}

/** True when `principal` may use files of `instrument` (null: not known, which only unlimited tokens may). */
export function mayUse(principal: Principal, instrument: string | null | undefined): boolean {
  if (principal.instruments === '*') return true;
  return instrument !== undefined && instrument !== null && principal.instruments.has(instrument.toUpperCase());
}

/** What decides who may read a file: its instrument, its program and the end of its proprietary period. */
export interface ReadableFile {
  instrument: string | null | undefined;
  /** PROGID of the file; unknown until it is archived. */
  program?: string | null | undefined;
  /** First day (YYYY-MM-DD, UT) the file is public; unknown means proprietary. */
  releaseDate?: string | null | undefined;
}

/** Callers without a token on a `--public` server: released files only, read scope only. */
export const PUBLIC: Principal = { site: 'public', scopes: new Set(['read']), instruments: '*', programs: new Set() };

/** True when `releaseDate` (YYYY-MM-DD, the first public day, from 00:00 UT) has come at `now`. */
export function isReleased(releaseDate: string | null | undefined, now: number): boolean {
  if (releaseDate === undefined || releaseDate === null) return false;
  const at = Date.parse(`${releaseDate}T00:00:00Z`);
  return Number.isFinite(at) && now >= at;
}

/**
 * The one read-permission check (API, pages, downloads, event streams): `principal` may read `file` at `now`
 * when it may use the file's instrument and either the file is released, or the token belongs to the file's
 * program (or to every program), or it is an admin. Whoever may not read a file gets the answer for an unknown id.
 */
export function mayRead(principal: Principal, file: ReadableFile, now: number): boolean {
  if (!mayUse(principal, file.instrument)) return false;
  const programs = principal.programs ?? '*';
  if (programs === '*' || isAdmin(principal)) return true;
  const program = file.program?.toUpperCase();
  if (program && (programs.has(program) || principal.leads?.has(program) || principal.granted?.has(program))) return true;
  return isReleased(file.releaseDate, now);
}

/** True when `principal` acts for every site (admin scope). */
export function isAdmin(principal: Principal): boolean {
  return principal.scopes.has('admin');
}

const refusals = new WeakSet<Error>();

/**
 * Marks an error as a refusal of the caller (logged with its site by the server), and returns it. Use for
 * answers that hide what the caller may not see (404 like an unknown id); FORBIDDEN is always a refusal.
 */
export function refusal<E extends Error>(error: E): E {
  refusals.add(error);
  return error;
}

/** True for errors that refuse the caller something. */
export function isRefusal(error: unknown): error is IngestError {
  return error instanceof IngestError && (error.code === 'FORBIDDEN' || refusals.has(error));
}
