/**
 * Delivery from every worker (appliance/workers/): an appliance with two workers relays mail
 * through its gateway, a loopback SMTP peer that takes 150 ms per message (so transactions
 * overlap). Messages go in with Python's smtplib (AUTH, one session).
 *   - both workers deliver (their 'delivery attempt' log lines), and the peer gets every
 *     message exactly once;
 *   - a worker killed with SIGKILL in the middle: every message still arrives; a second copy only
 *     of a message the dead worker had in flight (its lease ran out and another worker sent it),
 *     never more than the dead worker's share of the concurrency.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, freePorts, seedStore, sleep, spawnAppliance, type ApplianceProcess } from './helpers/process.ts';
import { startPeer, waitFor, type Peer } from './helpers/sink.ts';
import { python } from './helpers/python.ts';

const USER = 'alice@w.test';
const PASS = 'pw-alice-delivery';
/** delivery.workers and perDestination of the node: 4 a worker. */
const CONCURRENCY = 8;

let app: ApplianceProcess;
let peer: Peer;
let smtpPort: number;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-workers-delivery-'));
process.on('exit', () => app?.child.kill('SIGKILL'));

t.before(async () => {
  const [smtp, pop3, peerPort] = await freePorts(3);
  smtpPort = smtp;
  peer = await startPeer('127.0.0.1', peerPort, { dataDelayMs: 150 });
  fs.writeFileSync(path.join(dir, 'mailserver.config.ts'), `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'delivery.test',
  smtp: { listen: ['127.0.0.1:${smtp}'], auth: { allowInsecure: true } },
  pop3: { listen: ['127.0.0.1:${pop3}'] },
  imap: { listen: ['127.0.0.1:0'] },
  http: { listen: ['127.0.0.1:0'] },
  delivery: {
    gateway: '127.0.0.1:${peerPort}', pollMs: 200, leaseSeconds: 5, workers: ${CONCURRENCY}, perDestination: ${CONCURRENCY},
    retry: { intervalSeconds: 1 }, dnsServers: ['127.0.0.1:9'],
  },
  node: { workers: 2 },
  log: { level: 'debug' },
});
`);
  await seedStore(path.join(dir, 'data'), ['w.test'], { [USER]: PASS });
  app = spawnAppliance(path.join(dir, 'mailserver.config.ts'), path.join(dir, 'data'));
  await app.waitForLog('ready');
  await app.waitForWorkers(2);
});
t.teardown(async () => {
  await app?.stop();
  await peer?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Relays `n` messages with subjects `${tag} 0` … in one authenticated session. */
async function relay(tag: string, n: number): Promise<string[]> {
  const subjects = Array.from({ length: n }, (_, i) => `${tag} ${i}`);
  const r = await python(`
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
s.login(sys.argv[2], sys.argv[3])
for subject in sys.stdin.read().split('\\n'):
    s.sendmail(sys.argv[2], ['rcpt-' + subject.replace(' ', '-') + '@remote.example'], 'Subject: %s\\r\\n\\r\\nrelayed\\r\\n' % subject)
s.quit()
`, [String(smtpPort), USER, PASS], { input: subjects.join('\n'), timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`smtplib failed: ${r.stderr}`);
  return subjects;
}

const copies = (subject: string) => peer.messages.filter((m) => m.content.includes(`Subject: ${subject}\r\n`)).length;

t.test('both workers deliver; the peer gets every message once', async (t) => {
  const subjects = await relay('both', 40);
  await waitFor('all 40 at the peer', () => subjects.every((s) => copies(s) >= 1), 60_000);
  t.same(subjects.filter((s) => copies(s) !== 1), [], 'each exactly once');
  const pids = new Set(app.logs().filter((l) => l.msg === 'delivery attempt').map((l) => l.pid));
  t.same([...pids].sort(), app.workers().map((w) => w.pid).sort(), 'attempts were made by both workers');
  t.ok(peer.maxConcurrent <= CONCURRENCY, `never more than the node's ${CONCURRENCY} transactions at once (peer saw ${peer.maxConcurrent})`);
});

t.test('a worker killed in the middle: everything arrives, a second copy only of what it had in flight', async (t) => {
  const before = peer.messages.length;
  const subjects = await relay('crash', 60);
  await waitFor('the first 8 at the peer', () => peer.messages.length - before >= 8, 30_000);
  // both workers are in the middle of transactions: more in DATA than one worker may have
  await waitFor('more than one worker in DATA', () => peer.inData > CONCURRENCY / 2, 30_000);
  const attempts = app.logs().filter((l) => l.msg === 'delivery attempt');
  const victim = app.workers().find((w) => !w.lead)!;
  process.kill(victim.pid, 'SIGKILL');
  const killedAt = Date.now();
  t.comment(`killed worker ${victim.id}${victim.lead ? ' (the lead)' : ''} after ${attempts.filter((l) => l.pid === victim.pid).length} attempts of its own`);
  await waitFor('all 60 at the peer', () => subjects.every((s) => copies(s) >= 1), 60_000);
  t.comment(`all at the peer ${Date.now() - killedAt} ms after the kill`);
  await sleep(500);
  const twice = subjects.filter((s) => copies(s) > 1);
  t.ok(twice.length <= CONCURRENCY / 2, `${twice.length} sent twice (at most the dead worker's ${CONCURRENCY / 2} in flight): ${twice.join(', ') || 'none'}`);
  t.same(subjects.filter((s) => copies(s) > 2), [], 'none three times');
  const restarted = (await app.waitForWorkers(2)).find((w) => w.id === victim.id)!;
  t.not(restarted.pid, victim.pid, 'the supervisor started the worker again');
});
