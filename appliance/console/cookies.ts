/** The console's cookies: HttpOnly, SameSite=Strict, Path=/admin/, and Secure when the request came over TLS. */
import { setCookie } from 'hono/cookie';
import type { Ctx } from './deps.ts';
import { COOKIE, type Session } from './session.ts';

/** Secure cookies only where the request came over TLS (a plain-HTTP console on loopback still works). */
export const overTls = (c: Ctx) => !!(c.env.incoming.socket as { encrypted?: boolean }).encrypted;

export function setSessionCookie(c: Ctx, s: Session): void {
  setCookie(c, COOKIE, s.id, { path: '/admin/', httpOnly: true, sameSite: 'Strict', secure: overTls(c) });
}

export function setConsoleCookie(c: Ctx, name: string, value: string, maxAge: number): void {
  setCookie(c, name, value, { path: '/admin/', httpOnly: true, sameSite: 'Strict', secure: overTls(c), maxAge });
}
