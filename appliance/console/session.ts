/**
 * Console sessions: an in-memory table in the lead worker (the only process serving HTTP), keyed
 * by a random id (32 bytes, base64url) carried in a cookie that is HttpOnly, SameSite=Strict,
 * Path=/admin/ and Secure on HTTPS. Every visitor gets one (the login form's CSRF token lives in
 * it); a login replaces it by a new one (no session fixation), a logout or `idleMinutes` without
 * a request ends it, and beyond `maxSessions` the least recently used is dropped.
 */
import crypto from 'node:crypto';

export const COOKIE = 'mailserver_console';

export interface Flash { kind: 'ok' | 'error'; text: string }

export interface Session {
  readonly id: string;
  /** The CSRF token of every form of this session (csrf.ts). */
  readonly csrf: string;
  /** The logged-in config admin, or undefined before the login. */
  user?: string;
  lastSeen: number;
  /** Messages shown once, on the page after a redirect. */
  flash: Flash[];
}

const randomId = () => crypto.randomBytes(32).toString('base64url');

export class SessionStore {
  /** In insertion order = least recently used first (touch() moves a session to the end). */
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly settings: () => { idleMinutes: number; maxSessions: number }, private readonly now: () => number = Date.now) {}

  /** The live session of `id` (touched), or undefined when unknown or idle too long. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    this.sessions.delete(id);
    if (this.now() - s.lastSeen > this.settings().idleMinutes * 60_000) return undefined;
    s.lastSeen = this.now();
    this.sessions.set(id, s);
    return s;
  }

  create(user?: string): Session {
    const s: Session = { id: randomId(), csrf: randomId(), user, lastSeen: this.now(), flash: [] };
    this.sessions.set(s.id, s);
    const max = this.settings().maxSessions;
    for (const old of this.sessions.keys()) {
      if (this.sessions.size <= max) break;
      this.sessions.delete(old);
    }
    return s;
  }

  /** A new session for `user` in place of `old` (a login): new id, new CSRF token. */
  rotate(old: Session, user: string): Session {
    this.sessions.delete(old.id);
    return this.create(user);
  }

  end(s: Session): void {
    this.sessions.delete(s.id);
  }

  get size(): number {
    return this.sessions.size;
  }
}
