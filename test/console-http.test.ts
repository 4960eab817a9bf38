/**
 * The operator console without a browser, with plain HTTP requests against `mailserver start`:
 * the login wall, the session cookie's flags (Secure on HTTPS), the CSRF token checked on every
 * POST (a missing or forged one changes nothing), a wrong password and a non-admin refused, the
 * login throttle shared with the git endpoint, login rotating the session id, logout, and values
 * escaped in the pages.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import { ADMIN, ConsoleClient, PASSWORD, httpsSetCookies, startConsoleAppliance, type ConsoleAppliance } from './helpers/console.ts';

let env: ConsoleAppliance;
t.before(async () => {
  env = await startConsoleAppliance('console-http-');
});
t.teardown(() => env?.stop());

async function accountExists(address: string): Promise<boolean> {
  const s = openEmbeddedStore(env.dataDir);
  try {
    return (await s.accounts.get(address)) !== null;
  } finally {
    await s.close();
  }
}

t.test('the login wall and the session cookie', async (t) => {
  const c = new ConsoleClient(env.base);
  const r = await c.get('/admin/accounts');
  t.equal(r.status, 303);
  t.equal(r.location, '/admin/login?next=%2Fadmin%2Faccounts');
  const cookie = r.setCookies.find((s) => s.startsWith('mailserver_console='));
  t.ok(cookie, 'a session cookie');
  t.match(cookie!, /; HttpOnly/i);
  t.match(cookie!, /; SameSite=Strict/i);
  t.match(cookie!, /; Path=\/admin\//);
  t.notMatch(cookie!, /; Secure/i, 'not Secure on plain HTTP (the browser would drop it)');
  t.ok(c.cookies.get('mailserver_console')!.length >= 43, 'a 256-bit random id');
  const login = await c.get('/admin/login');
  t.equal(login.status, 200);
  t.match(login.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  t.equal(login.headers.get('x-frame-options'), 'DENY');
  const secure = (await httpsSetCookies(`${env.httpsBase}/admin/login`)).find((s) => s.startsWith('mailserver_console='));
  t.match(secure ?? '', /; Secure/i, 'Secure on HTTPS');
});

t.test('a wrong password and a non-admin are refused', async (t) => {
  const c = new ConsoleClient(env.base);
  const wrong = await c.login(ADMIN, 'wrong');
  t.equal(wrong.status, 401);
  t.match(wrong.text, /Wrong address or password/);
  t.equal((await c.get('/admin/accounts')).status, 303, 'still not logged in');
  const notAdmin = await c.login('user@console.test', 'pw-user');
  t.equal(notAdmin.status, 401, 'an account that is not in admin.users');
  const unknown = await c.login('nobody@console.test', 'x');
  t.equal(unknown.status, 401);
});

t.test('the login throttle is the one the git endpoint uses', async (t) => {
  const c = new ConsoleClient(env.base);
  // a failure for (127.0.0.1, ADMIN) in the console …
  t.equal((await c.login(ADMIN, 'wrong-again')).status, 401);
  // … delays that pair's next check on /config.git/ too (penalty 300 ms), though the password is right
  const started = Date.now();
  const git = await fetch(`${env.base}/config.git/info/refs?service=git-upload-pack`, {
    headers: { authorization: `Basic ${Buffer.from(`${ADMIN}:${PASSWORD}`).toString('base64')}` },
  });
  const took = Date.now() - started;
  t.equal(git.status, 200, 'the right password still gets in');
  t.ok(took >= 250, `the git request waited out the console's penalty (${took} ms)`);
  // and the success cleared it for the console
  const again = Date.now();
  t.equal((await new ConsoleClient(env.base).login()).status, 303);
  t.ok(Date.now() - again < 2000);
});

t.test('CSRF: a POST without the session\'s token is refused and changes nothing', async (t) => {
  const c = new ConsoleClient(env.base);
  const before = c.cookies.get('mailserver_console');
  const login = await c.login();
  t.equal(login.status, 303);
  t.equal(login.location, '/admin/');
  t.not(c.cookies.get('mailserver_console'), before, 'the login gave a new session id');
  const page = await c.get('/admin/accounts');
  t.equal(page.status, 200);
  const token = ConsoleClient.csrf(page.text);
  const form = { local: 'forged', domain: 'console.test', password: 'pw-forged', fullName: '', quota: '0' };

  const none = await c.post('/admin/accounts/add', form);
  t.equal(none.status, 403, 'no token');
  const forged = await c.post('/admin/accounts/add', { ...form, _csrf: 'A'.repeat(token.length) });
  t.equal(forged.status, 403, 'a forged token');
  t.match(forged.text, /CSRF/);
  const other = new ConsoleClient(env.base);
  await other.login();
  const othersToken = ConsoleClient.csrf((await other.get('/admin/accounts')).text);
  t.equal((await c.post('/admin/accounts/add', { ...form, _csrf: othersToken })).status, 403, "another session's token");
  const crossOrigin = await c.post('/admin/accounts/add', { ...form, _csrf: token }, { origin: 'http://evil.example' });
  t.equal(crossOrigin.status, 403, 'a cross-site Origin');
  t.notOk(await accountExists('forged@console.test'), 'no account was made');

  const ok = await c.post('/admin/accounts/add', { ...form, _csrf: token });
  t.equal(ok.status, 303);
  t.ok(await accountExists('forged@console.test'), 'with the right token it is');
  t.match((await c.get('/admin/accounts')).text, /Added account forged@console\.test/);
  // the login form is protected too (login CSRF)
  t.equal((await new ConsoleClient(env.base).post('/admin/login', { user: ADMIN, password: PASSWORD })).status, 403);
});

t.test('values are escaped in the pages', async (t) => {
  const c = new ConsoleClient(env.base);
  await c.login();
  const token = ConsoleClient.csrf((await c.get('/admin/accounts')).text);
  const r = await c.post('/admin/accounts/add', { _csrf: token, local: 'xss', domain: 'console.test', password: 'pw', fullName: '<script>alert("x")</script>', quota: '0' });
  t.equal(r.status, 303);
  const page = (await c.get('/admin/accounts?q=xss')).text;
  t.match(page, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/);
  t.notMatch(page, /<script>alert/);
  // an operation's error reaches the page as text, escaped
  const bad = await c.post('/admin/accounts/add', { _csrf: token, local: 'a<b', domain: 'console.test', password: 'pw', quota: '0' });
  t.equal(bad.status, 303);
  const shown = (await c.get('/admin/accounts')).text;
  t.match(shown, /class="flash error"[^>]*>&quot;a&lt;b@console\.test&quot;: the account name may use/);
});

t.test('the logs page searches the node logs by message id or address, escaped, newest first', async (t) => {
  const dir = path.join(env.dataDir, 'logs', 'node-a');
  const other = path.join(env.dataDir, 'logs', 'node-b');
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(other, { recursive: true });
  // lines in the appliance's formats (delivery.log, accept.log), one with markup in it
  fs.writeFileSync(path.join(dir, 'delivery.log'), [
    '2026-12-03T10:00:01.000Z\tA1B2C3D4E5F6\t<s@x.test>\t<r@y.test>\tdeferred\t1\t451 try later',
    '2026-12-03T10:05:01.000Z\tA1B2C3D4E5F6\t<s@x.test>\t<r@y.test>\tsent\t2\t250 ok',
    '2026-12-03T10:06:01.000Z\t0000000000AA\t<s@x.test>\t<q@y.test>\tfailed\t1\t550 <script>alert(1)</script>',
  ].join('\n') + '\n');
  fs.writeFileSync(path.join(other, 'accept.log'), '2026-12-03T09:59:59.000Z\t192.0.2.7\tc0ffee\t1\t<s@x.test>\tA1B2C3D4E5F6\n');
  const c = new ConsoleClient(env.base);
  await c.login();
  const empty = await c.get('/admin/logs');
  t.equal(empty.status, 200);
  t.notMatch(empty.text, /<table id="logs"/, 'nothing listed before a search');
  t.match(empty.text, /<option value="node-a">node-a<\/option><option value="node-b">node-b<\/option>/, 'the nodes to choose from');
  const byId = (await c.get('/admin/logs?q=a1b2c3d4e5f6')).text;
  const rows = [...byId.matchAll(/<tr><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td>/g)].map((m) => [m[1], m[2], m[3]]);
  t.same(rows, [
    ['2026-12-03 10:05:01Z', 'node-a', 'delivery'], ['2026-12-03 10:00:01Z', 'node-a', 'delivery'], ['2026-12-03 09:59:59Z', 'node-b', 'accept'],
  ], 'the id on both nodes, case-insensitive, newest first');
  const onlyB = (await c.get('/admin/logs?q=A1B2C3D4E5F6&node=node-b')).text;
  t.equal([...onlyB.matchAll(/<tr><td>/g)].length, 1, 'one node');
  const marked = (await c.get('/admin/logs?q=q@y.test')).text;
  t.match(marked, /550 &lt;script&gt;alert\(1\)&lt;\/script&gt;/, 'a logged line is escaped');
  t.notMatch(marked, /<script>alert/);
  fs.rmSync(path.join(env.dataDir, 'logs'), { recursive: true, force: true });
});

t.test('logout ends the session', async (t) => {
  const c = new ConsoleClient(env.base);
  await c.login();
  const old = c.cookies.get('mailserver_console')!;
  const token = ConsoleClient.csrf((await c.get('/admin/')).text);
  const out = await c.post('/admin/logout', { _csrf: token });
  t.equal(out.status, 303);
  t.equal(out.location, '/admin/login');
  const replay = new ConsoleClient(env.base);
  replay.cookies.set('mailserver_console', old);
  t.equal((await replay.get('/admin/accounts')).status, 303, 'the old session id no longer gets in');
});

t.test('the language follows Accept-Language and the switch', async (t) => {
  const c = new ConsoleClient(env.base);
  const ja = await c.request('GET', '/admin/login', undefined, { 'accept-language': 'ja-JP,ja;q=0.9,en;q=0.5' });
  t.match(ja.text, /<html lang="ja">/);
  t.match(ja.text, /ログイン/);
  const en = await c.request('GET', '/admin/login', undefined, { 'accept-language': 'en-US,en;q=0.9,ja;q=0.5' });
  t.match(en.text, /<html lang="en">/);
  const sw = await c.get('/admin/lang?to=ja&back=%2Fadmin%2Flogin');
  t.equal(sw.status, 303);
  t.equal(sw.location, '/admin/login');
  t.match((await c.request('GET', '/admin/login', undefined, { 'accept-language': 'en' })).text, /<html lang="ja">/, 'the chosen language wins');
  t.equal((await c.get('/admin/lang?to=en&back=https%3A%2F%2Fevil.example%2F')).location, '/admin/', 'no open redirect');
});
