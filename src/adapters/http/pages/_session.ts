/**
 * Page sessions: a token is posted once in a login form and exchanged for a signed session cookie (HttpOnly,
 * SameSite=Strict) that survives a restart of the server (the token itself is never stored in the browser, a URL
 * or a log); each session has a CSRF token that every state-changing request must send back in `X-CSRF-Token`.
 * Internal to src/adapters/http.
 *
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { IngestError } from '../../../core/errors.js';
import type { Principal } from '../_auth.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'fits_ingest_session';

/** One logged-in browser. */
export interface Session {
  id: string;
  principal: Principal;
  /** Sent back in `X-CSRF-Token` with every POST. */
  csrf: string;
  expiresAt: number;
}

const random = () => randomBytes(32).toString('base64url');

/** The cookies of a request. */
export function cookies(req: IncomingMessage): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0) found.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return found;
}

/** Where sessions are kept across restarts. */
export interface SessionFiles {
  /** The signing key (32 random bytes, created once with mode 0600). Hosts that share it share sessions. */
  keyFile: string;
  /** Sessions ended by a logout before they expired (id → expiry), so a restart does not revive them. */
  revokedFile: string;
}

interface Claims {
  /** Session id. */
  i: string;
  /** SHA-256 (hex) of the token the session was opened with: the principal is looked up again on every request. */
  t: string;
  /** Expiry (epoch ms). */
  e: number;
}

function loadKey(file: string): Buffer {
  mkdirSync(dirname(file), { recursive: true });
  try {
    writeFileSync(file, randomBytes(32), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = readFileSync(file);
  if (key.length < 32) throw new IngestError('INVALID_OPTIONS', `the page session key ${file} is shorter than 32 bytes: delete it (everyone is logged out) and restart`, { context: { file } });
  return key;
}

/**
 * Page sessions that survive a restart: the cookie holds the session's id, expiry and the SHA-256 of its token,
 * signed with HMAC-SHA256 by a key kept in a file (never the token itself). Nothing else is stored but the ids of
 * sessions a logout ended early (until they would have expired). On every request the token is looked up again in
 * the tokens the server accepts now, so a token removed from the tokens file (or expired) ends its sessions.
 */
export class SessionStore {
  readonly #key: Buffer;
  readonly #revoked = new Map<string, number>();

  constructor(
    private readonly files: SessionFiles,
    private readonly principalOf: (sha256: string, now: number) => Principal | undefined,
    private readonly ttlMs = 12 * 3_600_000,
  ) {
    this.#key = loadKey(files.keyFile);
    try {
      for (const [id, until] of Object.entries(JSON.parse(readFileSync(files.revokedFile, 'utf8')) as Record<string, number>)) this.#revoked.set(id, until);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new IngestError('INVALID_OPTIONS', `cannot read ${files.revokedFile}: ${(error as Error).message}`, { context: { file: files.revokedFile }, cause: error });
    }
  }

  #mac(text: string): Buffer {
    return createHmac('sha256', this.#key).update(text).digest();
  }

  #session(claims: Claims, principal: Principal): Session {
    return { id: claims.i, principal, csrf: this.#mac(`csrf:${claims.i}`).toString('base64url'), expiresAt: claims.e };
  }

  /** Opens a session for the token whose SHA-256 is `tokenSha256`; the cookie is {@link cookie}'s. */
  create(principal: Principal, tokenSha256: string, now: number): Session & { value: string } {
    const claims: Claims = { i: random(), t: tokenSha256, e: now + this.ttlMs };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { ...this.#session(claims, principal), value: `${payload}.${this.#mac(payload).toString('base64url')}` };
  }

  /** The session of a request's cookie, if its signature holds, it has not expired or been ended, and its token is still accepted. */
  of(req: IncomingMessage, now: number): Session | undefined {
    const [payload, mac, extra] = (cookies(req).get(SESSION_COOKIE) ?? '').split('.');
    if (!payload || !mac || extra !== undefined) return undefined;
    const given = Buffer.from(mac, 'base64url');
    const expected = this.#mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let claims: Claims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
    } catch {
      return undefined;
    }
    if (typeof claims.e !== 'number' || claims.e <= now || this.#revoked.has(claims.i)) return undefined;
    const principal = this.principalOf(claims.t, now);
    return principal && this.#session(claims, principal);
  }

  /** Ends a session before it expires (logout), durably. */
  delete(session: Session, now: number): void {
    for (const [id, until] of this.#revoked) if (until <= now) this.#revoked.delete(id);
    this.#revoked.set(session.id, session.expiresAt);
    const temp = `${this.files.revokedFile}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(Object.fromEntries(this.#revoked)), { mode: 0o600 });
    renameSync(temp, this.files.revokedFile);
  }

  /** The `Set-Cookie` value for a session (or, without one, one that clears the cookie). */
  cookie(session: { value: string } | undefined, secure: boolean): string {
    const flags = `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
    return session ? `${SESSION_COOKIE}=${session.value}; ${flags}; Max-Age=${Math.floor(this.ttlMs / 1000)}` : `${SESSION_COOKIE}=; ${flags}; Max-Age=0`;
  }
}

/**
 * Refuses a state-changing request whose `X-CSRF-Token` is not the session's, or whose `Origin` (when the
 * browser sends one) is not this server's.
 *
 * @throws IngestError FORBIDDEN
 */
export function checkCsrf(req: IncomingMessage, session: Session): void {
  const sent = req.headers['x-csrf-token'];
  const given = Buffer.from(typeof sent === 'string' ? sent : '');
  const expected = Buffer.from(session.csrf);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new IngestError('FORBIDDEN', 'missing or wrong X-CSRF-Token: reload the page');
  }
  checkOrigin(req);
}

/** Refuses a request whose `Origin` header names another site than the `Host` it was sent to. */
export function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new IngestError('FORBIDDEN', 'a malformed Origin header');
  }
  if (host !== req.headers.host) throw new IngestError('FORBIDDEN', `a request from another site (${origin}) was refused`);
}
