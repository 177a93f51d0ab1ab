/**
 * Page sessions: a token is posted once in a login form and exchanged for a random session id kept in an
 * HttpOnly, SameSite=Strict cookie (the token itself is never stored in the browser, a URL or a log); each
 * session has a CSRF token that every state-changing request must send back in `X-CSRF-Token`.
 * Internal to src/adapters/http.
 *
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
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

/** Sessions in memory (a restart logs everyone out), bounded in number and lifetime. */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();

  constructor(
    private readonly ttlMs = 12 * 3_600_000,
    private readonly max = 10_000,
  ) {}

  create(principal: Principal, now: number): Session {
    for (const [id, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(id);
    if (this.#sessions.size >= this.max) this.#sessions.delete(this.#sessions.keys().next().value!);
    const session: Session = { id: random(), principal, csrf: random(), expiresAt: now + this.ttlMs };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The session of a request's cookie, if valid. */
  of(req: IncomingMessage, now: number): Session | undefined {
    const id = cookies(req).get(SESSION_COOKIE);
    const session = id === undefined ? undefined : this.#sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= now) {
      this.#sessions.delete(session.id);
      return undefined;
    }
    return session;
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }

  /** The `Set-Cookie` value for a session (or, without one, one that clears the cookie). */
  cookie(session: Session | undefined, secure: boolean): string {
    const flags = `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
    return session ? `${SESSION_COOKIE}=${session.id}; ${flags}; Max-Age=${Math.floor(this.ttlMs / 1000)}` : `${SESSION_COOKIE}=; ${flags}; Max-Age=0`;
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
