/**
 * The console's web application (hono): sessions and language for every request, the CSRF check
 * for every POST, the login wall for every page but the login and the static files, and the
 * pages (pages/*.ts). Mounted under /admin/ on the appliance's HTTP listener (index.ts).
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import type { ConsoleDeps, Env } from './deps.ts';
import { COOKIE, SessionStore } from './session.ts';
import { setConsoleCookie, setSessionCookie } from './cookies.ts';
import { FIELD, HEADER, originMatches, tokenMatches } from './csrf.ts';
import { LANG_COOKIE, LANGS, pickLang, translator } from './i18n.ts';
import { backTo } from './form.ts';
import { staticRoutes } from './static.ts';
import { loginRoutes } from './pages/login.ts';
import { domainRoutes } from './pages/domains.ts';
import { accountRoutes } from './pages/accounts.ts';
import { aliasRoutes } from './pages/aliases.ts';
import { listRoutes } from './pages/lists.ts';
import { queueRoutes } from './pages/queue.ts';
import { configRoutes } from './pages/config.ts';
import { dashboardRoutes } from './pages/dashboard.ts';
import { logRoutes } from './pages/logs.ts';
import { dnsRoutes } from './pages/dns.ts';
import { tlsRoutes } from './pages/tls.ts';

export function consoleApp(deps: ConsoleDeps): { app: Hono<Env>; sessions: SessionStore } {
  const settings = () => deps.running().admin.console;
  const sessions = new SessionStore(settings);
  // strict: false: /admin/ and /admin are the same page
  const app = new Hono<Env>({ strict: false }).basePath('/admin');

  app.use('*', async (c, next) => {
    c.set('deps', deps);
    const lang = pickLang(getCookie(c, LANG_COOKIE), c.req.header('accept-language'));
    c.set('lang', lang);
    c.set('t', translator(lang));
    let s = sessions.get(getCookie(c, COOKIE));
    if (!s) {
      s = sessions.create();
      setSessionCookie(c, s);
    }
    c.set('session', s);
    await next();
    c.header('cache-control', 'no-store');
    c.header('x-content-type-options', 'nosniff');
    c.header('x-frame-options', 'DENY');
    c.header('referrer-policy', 'same-origin');
    c.header('content-security-policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
  });

  // every POST: a bounded body, then the session's CSRF token (form field or htmx header), before any handler runs
  app.post('*', bodyLimit({ maxSize: settings().maxBodyBytes, onError: (c) => c.text('request body too large\n', 413) }), async (c, next) => {
    const s = c.get('session');
    if (!originMatches(c.req.header('origin'), c.req.header('host'))) return c.text('cross-origin request refused\n', 403);
    let token = c.req.header(HEADER);
    if (!token && /^(application\/x-www-form-urlencoded|multipart\/form-data)/.test(c.req.header('content-type') ?? '')) {
      const body = await c.req.parseBody();
      token = typeof body[FIELD] === 'string' ? body[FIELD] : undefined;
    }
    if (!tokenMatches(s.csrf, token)) {
      deps.log.warn({ remote: c.env.incoming.socket.remoteAddress, path: c.req.path }, 'console: POST without a valid CSRF token refused');
      return c.text('invalid or missing CSRF token (reload the page and try again)\n', 403);
    }
    await next();
  });

  app.route('/static', staticRoutes());
  app.get('/lang', (c) => {
    const to = LANGS.find((l) => l === c.req.query('to')) ?? 'en';
    setConsoleCookie(c, LANG_COOKIE, to, 365 * 86_400);
    return c.redirect(backTo(c.req.query('back'), '/admin/'), 303);
  });
  app.route('/', loginRoutes(sessions));

  // the login wall
  app.use('*', async (c, next) => {
    if (!c.get('session').user) {
      if (c.req.method !== 'GET') return c.text('not logged in\n', 401);
      return c.redirect(`/admin/login?next=${encodeURIComponent(c.req.path)}`, 303);
    }
    await next();
  });
  app.route('/', dashboardRoutes());
  app.route('/domains', domainRoutes());
  app.route('/accounts', accountRoutes());
  app.route('/aliases', aliasRoutes());
  app.route('/lists', listRoutes());
  app.route('/queue', queueRoutes());
  app.route('/config', configRoutes());
  app.route('/logs', logRoutes());
  app.route('/dns', dnsRoutes());
  app.route('/tls', tlsRoutes());
  app.notFound((c) => c.text(`Not found: ${c.req.path}\n`, 404));
  app.onError((err, c) => {
    deps.log.error({ err, path: c.req.path }, 'console: page failed');
    return c.text('Internal server error\n', 500);
  });
  return { app, sessions };
}
