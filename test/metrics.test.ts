/**
 * /metrics after real traffic, on an appliance with two workers (`mailserver start`,
 * node.workers: 2): Python's smtplib, imaplib and poplib drive SMTP, IMAP and POP3 (accepted and
 * refused messages, logins that work and logins that fail), delivery goes to a test SMTP peer
 * (one recipient accepted, one refused: a bounce); then the counters must have moved by exactly
 * what was sent, summed over both workers. Also: the token / allow-list refusal, /healthz,
 * /readyz and /status.json.
 */
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, freePorts, seedStore, spawnAppliance, type ApplianceProcess } from './helpers/process.ts';
import { python } from './helpers/python.ts';
import { commonPort, smtpError, startPeer, waitFor, type Peer } from './helpers/sink.ts';
import { parseMetrics, valueOf, type Sample } from './helpers/prometheus.ts';

const TOKEN = 'metrics-token-0123456789';
const USER = 'bob@m.test';
const PASS = 'pw-metrics';
const ACCEPTED = 5;

let app: ApplianceProcess;
let peer: Peer;
let dir: string;
let httpPort: number;
let ports: { smtp: number; pop3: number; imap: number };
process.on('exit', () => app?.child.kill('SIGKILL'));

function get(pathname: string, o: { token?: string; from?: string; method?: string } = {}): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: httpPort, path: pathname, method: o.method ?? 'GET', localAddress: o.from,
      headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function scrape(): Promise<Sample[]> {
  const r = await get('/metrics', { token: TOKEN });
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${r.body}`);
  return parseMetrics(r.body);
}

t.before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-metrics-'));
  const dataDir = path.join(dir, 'data');
  const [smtp, pop3, imap] = await freePorts(3);
  ports = { smtp, pop3, imap };
  const peerPort = await commonPort(['127.0.0.31']);
  peer = await startPeer('127.0.0.31', peerPort, { onRcpt: (a) => (a.startsWith('bad@') ? smtpError(550, '5.1.1 no such user') : null) });
  fs.writeFileSync(path.join(dir, 'mailserver.config.ts'), `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'metrics.test',
  smtp: { listen: ['127.0.0.1:${smtp}'], auth: { allowInsecure: true, failureDelayMs: 0 } },
  pop3: { listen: ['127.0.0.1:${pop3}'], allowInsecureAuth: true },
  imap: { listen: ['127.0.0.1:${imap}'], allowInsecureAuth: true },
  http: { listen: ['127.0.0.1:0'] },
  auth: { penalty: { initialDelayMs: 0, maxDelayMs: 0 } },
  delivery: { dnsServers: ['127.0.0.1:9'], pollMs: 100, gatewayTable: [{ domain: 'remote.test', host: '127.0.0.31', port: ${peerPort}, tls: false }] },
  // only 127.0.0.2 may scrape without the token (the test's own requests come from 127.0.0.1)
  metrics: { allow: ['127.0.0.2/32'], token: ${JSON.stringify(TOKEN)}, collectTimeoutMs: 1000 },
  node: { workers: 2 },
  plugins: [{ name: 'accept-log', options: {} }],
});
`);
  await seedStore(dataDir, ['m.test'], { [USER]: PASS });
  app = spawnAppliance(path.join(dir, 'mailserver.config.ts'), dataDir);
  t.teardown(async () => {
    await app.stop();
    await peer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  httpPort = Number((await app.waitForLog('http listening')).port);
  await app.waitForWorkers(2);
});

t.test('the protected routes: the token, the allow-list, and who is refused', async (t) => {
  const none = await get('/metrics');
  t.equal(none.status, 401, 'no token from an address not on the list: 401');
  const wrong = await get('/metrics', { token: 'not-the-token-at-all' });
  t.equal(wrong.status, 401, 'a wrong token: 401');
  t.equal((await get('/status.json')).status, 401, '/status.json is protected the same way');
  const listed = await get('/metrics', { from: '127.0.0.2' });
  t.equal(listed.status, 200, 'from an allowed address, no token needed');
  t.match(listed.type, /^text\/plain; version=0\.0\.4/, 'Prometheus text format');
  const right = await get('/metrics', { token: TOKEN });
  t.equal(right.status, 200, 'the right token from anywhere');
  t.equal(valueOf(parseMetrics(right.body), 'mailserver_scrape_workers'), 2, 'both workers answered the scrape');
  t.equal((await get('/metrics', { token: TOKEN, method: 'POST' })).status, 405, 'only GET and HEAD');
});

t.test('healthz, readyz and status.json', async (t) => {
  const health = await get('/healthz');
  t.equal(health.status, 200, '/healthz is open and up');
  // readiness waits for the workers status to say both serve
  const ready = await waitFor('/readyz 200', async () => {
    const r = await get('/readyz');
    return r.status === 200 ? r : null;
  });
  const body = JSON.parse(ready.body) as { ready: boolean; checks: Record<string, { ok: boolean }> };
  t.equal(body.ready, true);
  t.same(Object.keys(body.checks).sort(), ['config', 'listeners', 'store', 'workers']);
  const status = JSON.parse((await get('/status.json', { token: TOKEN })).body) as { workers: { id: number; state: string }[]; node: string; queue: object };
  t.same(status.workers.map((w) => [w.id, w.state]), [[1, 'serving'], [2, 'serving']], 'the workers as the supervisor sees them');
  t.ok(status.queue, 'the queue depth');
});

t.test('counters move by what the traffic did, summed over both workers', async (t) => {
  const before = await scrape();
  const r = await python(`
import json, smtplib, imaplib, poplib, sys
smtp, pop3, imap, user, pw, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6])
conns = 0
sizes = 0
refused = {}
# n accepted messages, each on its own connection (so the two workers share them)
for i in range(n):
    body = 'Subject: metrics %d\\r\\n\\r\\nhello %d\\r\\n' % (i, i)
    s = smtplib.SMTP('127.0.0.1', smtp); conns += 1
    s.sendmail('a@sender.test', [user], body); sizes += len(body); s.quit()
# refused at RCPT: an unknown local user (twice), relaying without AUTH (once)
for rcpt in ['nobody@m.test', 'nobody2@m.test', 'x@remote.test']:
    s = smtplib.SMTP('127.0.0.1', smtp); conns += 1
    s.ehlo(); s.mail('a@sender.test'); code, _ = s.rcpt(rcpt); refused[rcpt] = code; s.quit()
# AUTH: one failure, then a submission to the peer: one recipient taken, one refused (a bounce)
s = smtplib.SMTP('127.0.0.1', smtp); conns += 1
s.ehlo()
# one AUTH PLAIN with a wrong password (login() would go on to try LOGIN as well)
s.user, s.password = user, 'wrong'
try:
    s.auth('PLAIN', s.auth_plain)
except smtplib.SMTPAuthenticationError:
    pass
s.login(user, pw)
body = 'Subject: out\\r\\n\\r\\nto the peer\\r\\n'
s.sendmail(user, ['ok@remote.test', 'bad@remote.test'], body); sizes += len(body); s.quit()
# IMAP: two failed logins, one that works
for p in ['bad1', 'bad2', pw]:
    m = imaplib.IMAP4('127.0.0.1', imap)
    try:
        m.login(user, p)
    except imaplib.IMAP4.error:
        pass
    m.logout()
# POP3: one failure, one success
for p in ['bad', pw]:
    c = poplib.POP3('127.0.0.1', pop3)
    c.user(user)
    try:
        c.pass_(p)
    except poplib.error_proto:
        pass
    c.quit()
print(json.dumps({'conns': conns, 'sizes': sizes, 'refused': refused}))
`, [ports.smtp, ports.pop3, ports.imap, USER, PASS, ACCEPTED].map(String), { timeoutMs: 60_000 });
  t.equal(r.code, 0, r.stderr);
  const sent = JSON.parse(r.stdout.trim().split('\n').pop()!) as { conns: number; sizes: number; refused: Record<string, number> };
  t.same(sent.refused, { 'nobody@m.test': 550, 'nobody2@m.test': 550, 'x@remote.test': 554 }, 'the refusals the client saw');

  // delivery runs after the 250s: wait for the peer's answers to be counted (and the bounce delivered locally)
  const after = await waitFor('delivery counted', async () => {
    const s = await scrape();
    const d = (labels: Record<string, string>) => valueOf(s, 'mailserver_delivery_attempts_total', labels) - valueOf(before, 'mailserver_delivery_attempts_total', labels);
    return d({ result: 'sent', destination: '127.0.0.31' }) >= 1 && d({ result: 'failed', destination: '127.0.0.31' }) >= 1 && d({ result: 'sent', destination: 'local' }) >= 1 ? s : null;
  }, 30_000);
  const delta = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);

  t.equal(delta('mailserver_messages_accepted_total'), ACCEPTED + 1, 'messages accepted');
  t.equal(delta('mailserver_messages_refused_total', { stage: 'rcpt', reason: 'no-such-user' }), 2, 'refused: no such user');
  t.equal(delta('mailserver_messages_refused_total', { stage: 'rcpt', reason: 'relay-denied' }), 1, 'refused: relay denied');
  t.equal(delta('mailserver_messages_refused_total'), 3, 'no other refusal');
  const bytes = delta('mailserver_received_bytes_total');
  // stored size = what was sent plus the Return-Path and Received header the appliance adds (under 400 bytes each)
  t.ok(bytes > sent.sizes && bytes < sent.sizes + (ACCEPTED + 1) * 400, `received bytes ${bytes} (bodies ${sent.sizes})`);
  t.equal(delta('mailserver_sessions_total', { protocol: 'smtp' }), sent.conns, 'smtp sessions admitted');
  t.equal(delta('mailserver_sessions_total', { protocol: 'imap' }), 3, 'imap sessions');
  t.equal(delta('mailserver_sessions_total', { protocol: 'pop3' }), 2, 'pop3 sessions');
  t.equal(delta('mailserver_auth_attempts_total', { protocol: 'smtp', result: 'failed' }), 1, 'smtp auth failure');
  t.equal(delta('mailserver_auth_attempts_total', { protocol: 'smtp', result: 'ok' }), 1, 'smtp auth success');
  t.equal(delta('mailserver_auth_attempts_total', { protocol: 'imap', result: 'failed' }), 2, 'imap login failures');
  t.equal(delta('mailserver_auth_attempts_total', { protocol: 'imap', result: 'ok' }), 1, 'imap login success');
  t.equal(delta('mailserver_auth_attempts_total', { protocol: 'pop3', result: 'failed' }), 1, 'pop3 login failure');
  t.equal(delta('mailserver_auth_attempts_total', { protocol: 'pop3', result: 'ok' }), 1, 'pop3 login success');
  t.equal(delta('mailserver_delivery_attempts_total', { result: 'sent', destination: '127.0.0.31' }), 1, 'delivered to the peer');
  t.equal(delta('mailserver_delivery_attempts_total', { result: 'failed', destination: '127.0.0.31' }), 1, 'refused by the peer');
  // mail to local mailboxes is stored at the 250, not queued: the bounce is the one local delivery
  t.equal(delta('mailserver_delivery_attempts_total', { result: 'sent', destination: 'local' }), 1, 'the bounce delivered locally');
  t.equal(delta('mailserver_bounces_total'), 1, 'one bounce');
  // accept-log's mail hook ran once per MAIL FROM that reached it
  t.equal(delta('mailserver_hook_duration_seconds_count', { plugin: 'accept-log', hook: 'mail' }), ACCEPTED + 1 + 3, 'hook runs timed per plugin');
  t.ok(delta('mailserver_store_commit_duration_seconds_count') > 0, 'store commits timed');
  t.ok(after.some((s) => s.name === 'mailserver_nodejs_eventloop_lag_seconds'), 'event-loop lag');
  t.equal(valueOf(after, 'mailserver_queue_recipients', { state: 'active' }), 0, 'the queue gauge');
  t.ok(after.some((s) => s.name === 'mailserver_queue_recipients' && s.labels.state === 'deferred'), 'queue depth by state');
  t.equal(peer.messages.length, 1, 'the peer got the message');
});

t.test('the open-sessions gauge follows a session held open', async (t) => {
  const sock = net.connect(ports.imap, '127.0.0.1');
  await new Promise<void>((resolve) => sock.once('data', () => resolve()));
  await waitFor('imap session counted', async () => valueOf(await scrape(), 'mailserver_sessions', { protocol: 'imap' }) === 1 || null);
  sock.destroy();
  await waitFor('imap session gone', async () => valueOf(await scrape(), 'mailserver_sessions', { protocol: 'imap' }) === 0 || null);
  t.pass('the gauge went to 1 and back to 0');
});

t.test('a live apply is counted once (in the lead), however many workers apply it', async (t) => {
  const before = valueOf(await scrape(), 'mailserver_config_applies_total', { result: 'applied' });
  process.kill(app.pid, 'SIGHUP');
  await waitFor('apply counted', async () => valueOf(await scrape(), 'mailserver_config_applies_total', { result: 'applied' }) > before || null, 30_000);
  // both workers applied it; the count is the lead's alone
  await waitFor('the second worker applied too', () => app.logs().filter((l) => l.msg === 'config applied').length >= 2 || null, 30_000);
  t.equal(valueOf(await scrape(), 'mailserver_config_applies_total', { result: 'applied' }), before + 1);
});

t.test('a hung worker delays a scrape by metrics.collectTimeoutMs at most, and is named missing', async (t) => {
  const second = app.workers().find((w) => w.id === 2)!;
  process.kill(second.pid, 'SIGSTOP');
  try {
    const started = Date.now();
    const samples = await scrape();
    const took = Date.now() - started;
    t.equal(valueOf(samples, 'mailserver_scrape_workers'), 1, 'the lead answered');
    t.equal(valueOf(samples, 'mailserver_scrape_workers_missing'), 1, 'worker 2 is missing');
    t.ok(took >= 900 && took < 5000, `the scrape waited for the timeout, not forever (${took} ms)`);
    t.ok(samples.some((s) => s.name === 'mailserver_messages_accepted_total'), "the lead's numbers are there");
  } finally {
    process.kill(second.pid, 'SIGCONT');
  }
  t.equal(valueOf(await scrape(), 'mailserver_scrape_workers'), 2, 'both answer again once it runs');
});
