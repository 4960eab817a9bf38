/**
 * Login and logout. The login checks the config-admin accounts (`admin.users`) exactly as a git
 * push's HTTP authentication does (config-repo/admin-auth.ts), through the appliance's one login
 * guard: a failed (IP, user) pair waits before its next check, a full hashing queue answers 503.
 */
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { Ctx, Env } from '../deps.ts';
import { isConfigAdmin } from '../../config-repo/admin-auth.ts';
import { csrfField } from '../csrf.ts';
import { backTo, field, formBody } from '../form.ts';
import { page } from '../layout.ts';
import { setSessionCookie } from '../cookies.ts';
import type { SessionStore } from '../session.ts';

export function loginRoutes(sessions: SessionStore): Hono<Env> {
  const app = new Hono<Env>();
  const form = (c: Ctx, user: string, next: string, status = 200) => {
    const t = c.get('t');
    return page(c, t('login.title'), html`<form method="post" action="/admin/login" class="login">
${csrfField(c.get('session').csrf)}<input type="hidden" name="next" value="${next}">
<label>${t('login.user')} <input name="user" type="email" autocomplete="username" required value="${user}" autofocus></label>
<label>${t('login.password')} <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">${t('login.submit')}</button>
<p class="hint">${t('login.hint')}</p>
</form>`, status);
  };

  app.get('/login', (c) => (c.get('session').user ? c.redirect('/admin/', 303) : form(c, '', backTo(c.req.query('next'), '/admin/'))));

  app.post('/login', async (c) => {
    const { guard, running, stores, log } = c.get('deps');
    const t = c.get('t');
    const body = await formBody(c);
    const user = field(body, 'user', 320).trim();
    const password = field(body, 'password', 1024);
    const next = backTo(field(body, 'next'), '/admin/');
    const ip = c.env.incoming.socket.remoteAddress ?? '';
    const result = await guard.attempt(ip, user, async () => ((await isConfigAdmin(running(), stores, user, password)) ? true : null));
    if (result.kind === 'busy') {
      c.header('retry-after', '5');
      c.get('session').flash.push({ kind: 'error', text: t('login.busy') });
      return form(c, user, next, 503);
    }
    if (result.kind === 'failed') {
      log.warn({ user, remote: ip, penaltyMs: result.delayedMs }, 'console: login failed');
      c.get('session').flash.push({ kind: 'error', text: t('login.failed') });
      return form(c, user, next, 401);
    }
    const s = sessions.rotate(c.get('session'), user.toLowerCase());
    setSessionCookie(c, s);
    log.info({ user: s.user, remote: ip }, 'console: logged in');
    return c.redirect(next, 303);
  });

  app.post('/logout', (c) => {
    const s = c.get('session');
    c.get('deps').log.info({ user: s.user }, 'console: logged out');
    sessions.end(s);
    const fresh = sessions.create();
    setSessionCookie(c, fresh);
    fresh.flash.push({ kind: 'ok', text: c.get('t')('login.loggedOut') });
    return c.redirect('/admin/login', 303);
  });
  return app;
}
