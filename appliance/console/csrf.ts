/**
 * CSRF protection (the synchronizer token pattern, OWASP): every form carries the session's
 * random token in a hidden `_csrf` field (htmx sends it as the `x-csrf-token` header), and every
 * POST whose token does not match the session's is refused with 403 before anything runs. The
 * cookie's SameSite=Strict and a check of the Origin header, when the browser sends one, are a
 * second line.
 */
import crypto from 'node:crypto';
import { html } from 'hono/html';

export const FIELD = '_csrf';
export const HEADER = 'x-csrf-token';

export function tokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return crypto.timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/** False when the request names an Origin (RFC 6454 §7) other than the host it was sent to. */
export function originMatches(origin: string | undefined, host: string | undefined): boolean {
  if (!origin) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** The hidden field for a form. */
export const csrfField = (token: string) => html`<input type="hidden" name="${FIELD}" value="${token}">`;
