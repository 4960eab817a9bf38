/**
 * The appliance's HTTP(S) listener: routes by longest prefix, 404 for unknown paths, a throwing
 * handler answered with 500 while the server goes on serving, HTTPS with a real TLS client that
 * checks the appliance's certificate, and bad listener settings named in the error.
 */
import t from 'tap';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import https from 'node:https';
import type tls from 'node:tls';
import { startTestAppliance, type TestAppliance } from './helpers/appliance.ts';
import { RouteTable } from '../appliance/http/routes.ts';
import { baseUrl } from '../appliance/http/url.ts';

let app: TestAppliance;
t.before(async () => {
  app = await startTestAppliance();
});
t.teardown(() => app?.close());

const text = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
};

t.test('longest prefix wins, unknown paths get 404, removed routes are gone', async (t) => {
  const offA = app.http.route('/a/', (req, res) => void res.end(`short ${req.url}`));
  const offB = app.http.route('/a/b/', (req, res) => void res.end(`long ${req.method} ${req.url}`));
  t.teardown(() => { offA(); offB(); });
  t.same(await text(`${app.httpUrl}/a/x`), { status: 200, body: 'short /a/x', type: null });
  t.equal((await text(`${app.httpUrl}/a/b/c?q=1`, { method: 'POST', body: 'x' })).body, 'long POST /a/b/c?q=1');
  t.equal((await text(`${app.httpUrl}/a/bc`)).body, 'short /a/bc', 'a prefix is matched as a string, /a/b/ needs the slash');
  const missing = await text(`${app.httpUrl}/nothing/here`);
  t.equal(missing.status, 404);
  t.match(missing.body, /Not found: \/nothing\/here/);
  t.match(missing.type, /^text\/plain/);
  offB();
  t.equal((await text(`${app.httpUrl}/a/b/c`)).body, 'short /a/b/c', 'after removal the shorter prefix answers');
  t.throws(() => app.http.route('/a/', () => {}), /"\/a\/" is already registered/);
  t.throws(() => app.http.route('a/', () => {}), /starts with "\/"/);
});

t.test('a handler that throws (or rejects) gets 500, and the server goes on serving', async (t) => {
  const offs = [
    app.http.route('/boom/', () => { throw new Error('kaput'); }),
    app.http.route('/reject/', async () => { await new Promise((r) => setTimeout(r, 5)); throw new Error('later'); }),
    app.http.route('/ok/', (_req, res) => void res.end('fine')),
  ];
  t.teardown(() => offs.forEach((off) => off()));
  for (const p of ['/boom/1', '/reject/2']) {
    const r = await text(`${app.httpUrl}${p}`);
    t.equal(r.status, 500, p);
    t.equal(r.body, 'Internal server error\n');
  }
  t.equal((await text(`${app.httpUrl}/ok/`)).body, 'fine');
});

t.test('HTTPS listener: a real TLS client verifying the appliance certificate', async (t) => {
  app.http.route('/tls/', (req, res) => {
    const secure = (req.socket as tls.TLSSocket).encrypted === true;
    res.end(`secure=${secure}`);
  });
  const ca = fs.readFileSync(path.join(app.dataDir, 'tls', 'self-signed-cert.pem'));
  const get = (url: string, opts: https.RequestOptions) => new Promise<{ status: number; body: string; protocol: string }>((resolve, reject) => {
    https.get(url, opts, (res) => {
      let body = '';
      const protocol = (res.socket as tls.TLSSocket).getProtocol() ?? '';
      res.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body, protocol }));
    }).on('error', reject);
  });
  const r = await get(`${app.httpsUrl}/tls/x`, { ca, servername: 'localhost' });
  t.equal(r.status, 200);
  t.equal(r.body, 'secure=true');
  t.match(r.protocol, /^TLSv1\.[23]$/);
  await t.rejects(get(`${app.httpsUrl}/tls/x`, {}), /self.signed|unable to verify/i, 'without the CA the client refuses the certificate');
  t.equal((await get(`${app.httpsUrl}/nope`, { ca, servername: 'localhost' })).status, 404);
  // plain HTTP on the TLS port is not answered as HTTP
  await t.rejects(fetch(`${app.httpsUrl.replace('https', 'http')}/tls/x`));
});

t.test('url() and publicUrl(): the bound ports, HTTPS first for mail', async (t) => {
  t.equal(app.http.url(), app.httpUrl);
  t.equal(app.http.publicUrl(), app.httpsUrl);
  t.equal(app.http.listeners.length, 2);
});

t.test('http.publicUrl is used as configured; an empty listen list means no HTTP service', async (t) => {
  const a = await startTestAppliance({ http: { listen: [], publicUrl: 'https://lists.example.com/' } });
  t.teardown(() => a.close());
  t.same(a.http.listeners, []);
  t.equal(a.http.publicUrl(), 'https://lists.example.com');
  t.throws(() => a.http.url(), /http\.listen is empty/);
  const b = await startTestAppliance({ http: { listen: [] } });
  t.teardown(() => b.close());
  t.equal(b.http.publicUrl(), undefined, 'nothing to link to without listener or publicUrl');
});

t.test('a port in use is refused at start with the setting named', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as net.AddressInfo).port;
  await t.rejects(startTestAppliance({ http: { listen: ['127.0.0.1:0', `127.0.0.1:${port}`] } }), new RegExp(`http\\.listen\\[1\\] 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
  await t.rejects(startTestAppliance({ http: { listen: ['localhost'] } }), /http\.listen/);
  await t.rejects(startTestAppliance({ http: { publicUrl: 'lists.example.com' } }), /http\.publicUrl/);
});

t.test('unit: RouteTable and baseUrl', async (t) => {
  const r = new RouteTable();
  const h1 = () => {};
  const h2 = () => {};
  r.route('/', h1);
  r.route('/x/y/', h2);
  t.equal(r.match('/x/y/z')?.handler, h2);
  t.equal(r.match('/x/')?.handler, h1);
  t.equal(r.publicUrl(), undefined);
  t.equal(baseUrl({ host: '0.0.0.0', port: 443, implicitTls: true }, 'mail.test'), 'https://mail.test');
  t.equal(baseUrl({ host: '::1', port: 8080, implicitTls: false }, 'mail.test'), 'http://[::1]:8080');
  t.equal(baseUrl({ host: '::', port: 80, implicitTls: false }, 'mail.test'), 'http://mail.test');
});
