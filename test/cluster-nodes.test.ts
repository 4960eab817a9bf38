/**
 * CF-2 and LG-1/CL-3: each node records itself (build version, config commit, heartbeat, VIP)
 * and `mailserver status` lists the nodes; every log file of a node is under
 * <data>/logs/<node name>/, and a log that cannot be written warns once and never stops the node.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startTestAppliance, seedAccounts, tempDir } from './helpers/appliance.ts';
import { hasStackTrace, runCli } from './helpers/cli.ts';
import { commonPort, startPeer } from './helpers/sink.ts';
import { python } from './helpers/python.ts';
import { startPostgres } from './helpers/postgres.ts';
import { PgNodeRegistry } from '../appliance/cluster/pg-registry.ts';
import { statusLines } from '../appliance/cli/commands/status.ts';
import { buildVersion } from '../appliance/cluster/build-info.ts';

const SEND = String.raw`
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=10)
s.sendmail('sender@client.test', sys.argv[2:], b'Subject: hi\r\n\r\nhello\r\n')
s.quit()
print('sent')
`;

t.test('status lists the running node with its build, config and heartbeat', async (t) => {
  const dataDir = tempDir();
  const app = await startTestAppliance({ node: { name: 'alpha' } }, dataDir);
  t.teardown(() => app.close());
  const res = await runCli(['status', '--data', dataDir]);
  t.equal(res.code, 0, res.stderr);
  const lines = res.stdout.trim().split('\n');
  t.match(lines[0], /^NODE\s+STATE\s+ROLE\s+VERSION\s+CONFIG\s+HEARTBEAT/, 'a header');
  const row = lines.find((l) => l.startsWith('alpha '));
  t.ok(row, `a row for node alpha:\n${res.stdout}`);
  t.match(row, /^alpha\s+up\s+-\s+/, 'up, not the VIP holder');
  t.ok(row!.includes(buildVersion()), `the build version ${buildVersion()}`);
  t.match(row, /cfg:[0-9a-f]{12}|[0-9a-f]{12}/, 'the config commit or hash');
  t.match(row, /\d+s ago/, 'the heartbeat age');
  const json = JSON.parse((await runCli(['status', '--json', '--data', dataDir])).stdout) as { name: string; version: string; down: boolean }[];
  t.same(json.map((n) => [n.name, n.down]), [['alpha', false]], '--json');
});

t.test('status on an empty data directory says so', async (t) => {
  const res = await runCli(['status', '--data', tempDir()]);
  t.equal(res.code, 0);
  t.match(res.stdout, /no node has recorded itself/);
});

t.test('status with an unreachable PostgreSQL: a clear error, exit 1', async (t) => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'store.json'), JSON.stringify({ kind: 'postgres', url: 'postgres://x@127.0.0.1:1/db' }));
  const res = await runCli(['status', '--data', dir]);
  t.equal(res.code, 1);
  t.match(res.stderr, /cannot read the node registry \(PostgreSQL\): connect ECONNREFUSED/);
  t.notOk(hasStackTrace(res.stderr), 'no stack trace');
});

t.test('the PostgreSQL registry: two nodes, the holder, a stale node, a version mismatch', async (t) => {
  const pg = await startPostgres();
  t.teardown(() => pg.stop());
  const url = await pg.database();
  const a = new PgNodeRegistry(url);
  const b = new PgNodeRegistry(url);
  t.teardown(async () => { await a.close(); await b.close(); });
  const now = new Date();
  // both at once: the table is created by whichever comes first
  await Promise.all([
    a.put({ name: 'n1', version: '0.1.0+aaa', configCommit: 'c1', startedAt: now, heartbeatAt: now, addresses: ['10.0.0.1'], vip: '10.0.0.100', pid: 1 }),
    b.put({ name: 'n2', version: '0.1.0+bbb', configCommit: 'c1', startedAt: now, heartbeatAt: now, addresses: ['10.0.0.2'], vip: null, pid: 2 }),
  ]);
  await b.put({ name: 'n3', version: '0.1.0+aaa', configCommit: 'c0', startedAt: now, heartbeatAt: new Date(now.getTime() - 120_000), addresses: [], vip: null, pid: 3 });
  const nodes = await b.list();
  t.same(nodes.map((n) => n.name), ['n1', 'n2', 'n3']);
  const lines = statusLines(nodes, now.getTime());
  t.match(lines.find((l) => l.startsWith('n1 ')), /^n1\s+up\s+vip 10\.0\.0\.100\s+0\.1\.0\+aaa\s+c1/);
  t.match(lines.find((l) => l.startsWith('n3 ')), /^n3\s+down\s+-/, 'a node without a heartbeat for 2 minutes is down');
  t.ok(lines.some((l) => /different builds/.test(l)), 'a build mismatch between live nodes is pointed out (CF-2)');
  t.notOk(lines.some((l) => /different configs/.test(l)), 'the stale node\'s old config is not a mismatch');
  t.equal(await a.remove('n3'), true);
  t.same((await a.list()).map((n) => n.name), ['n1', 'n2']);
});

t.test('every log of a node is in logs/<node name>/', async (t) => {
  const peer = await startPeer('127.0.0.1', await commonPort(['127.0.0.1']));
  t.teardown(() => peer.close());
  const dataDir = tempDir();
  const app = await startTestAppliance({
    node: { name: 'node-7' },
    plugins: [{ name: 'accept-log' }],
    delivery: { gateway: `127.0.0.1:${peer.port}`, pollMs: 100 },
  }, dataDir);
  t.teardown(() => app.close());
  await seedAccounts(app, 'local.test', ['u1']);
  const r = await python(SEND, [String(app.smtpPort), 'u1@local.test']);
  t.equal(r.stdout.trim(), 'sent', r.stderr);
  await app.store.queue.enqueue({ mailFrom: 'u1@local.test', recipients: ['far@remote.test'], content: Buffer.from('Subject: out\r\n\r\nout\r\n') });
  const dir = path.join(dataDir, 'logs', 'node-7');
  for (let i = 0; i < 100 && !fs.existsSync(path.join(dir, 'delivery.log')); i++) await new Promise((r) => setTimeout(r, 100));
  const files = fs.readdirSync(dir).sort();
  t.ok(files.includes('accept.log'), `accept log in logs/node-7 (${files.join(', ')})`);
  t.ok(files.includes('delivery.log'), 'delivery log in logs/node-7');
  t.match(fs.readFileSync(path.join(dir, 'accept.log'), 'utf8'), /127\.0\.0\.1\t.*<sender@client\.test>/);
  t.same(fs.readdirSync(path.join(dataDir, 'logs')), ['node-7'], 'no other node folder');
});

t.test('a log that cannot be written: one warning, the node keeps serving', async (t) => {
  const dataDir = tempDir();
  // a file where the node's log folder should be: nothing can be created in it
  fs.mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'logs', 'blocked'), 'not a folder');
  const warnings: string[] = [];
  const { default: pino } = await import('pino');
  const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
  const { startAppliance } = await import('../appliance/start.ts');
  const { validateConfig } = await import('../core/config/load.ts');
  const app = await startAppliance({
    dataDir,
    log,
    config: validateConfig({
      node: { name: 'blocked' }, plugins: [{ name: 'accept-log' }],
      smtp: { listen: ['127.0.0.1:0'] }, pop3: { listen: ['127.0.0.1:0'] }, imap: { listen: ['127.0.0.1:0'] }, delivery: { enabled: false },
    }),
  });
  t.teardown(() => app.close());
  const port = app.smtp.listeners[0].port;
  const { openEmbeddedStore } = await import('../appliance/store/embedded/index.ts');
  const store = openEmbeddedStore(dataDir);
  await store.domains.create({ name: 'local.test' });
  await store.accounts.create({ name: 'u1', domain: 'local.test', password: 'x', fullName: '', home: '', quota: 0, smtpAuth: false, apop: false, pop3Disabled: false, imapDisabled: false, sharedPath: '', sharedWrite: false });
  await store.close();
  for (let i = 0; i < 3; i++) {
    const r = await python(SEND, [String(port), 'u1@local.test']);
    t.equal(r.stdout.trim(), 'sent', `message ${i + 1} accepted although its accept log cannot be written`);
  }
  const about = warnings.filter((w) => /accept log cannot be written/.test(w));
  t.equal(about.length, 1, 'exactly one warning for the log');
  t.match(about[0], /logs\/blocked\/accept\.log/, 'naming the file');
});

t.test('ipwatcher: bad options stop the start with a message naming the option', async (t) => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ vip: 'not-an-ip', interface: 'lo' }, /options\.vip "not-an-ip" is not an address with a prefix length/],
    [{ vip: '10.9.9.9', interface: 'lo' }, /options\.vip "10\.9\.9\.9" is not an address with a prefix length/],
    [{ vip: 'fd00::1/64', interface: 'lo' }, /options\.vip must be IPv4/],
    [{ vip: '10.9.9.9/24', interface: 'no-such-if0' }, /options\.interface "no-such-if0"/],
    [{ vip: '10.9.9.9/24', interface: 'lo', leadership: 'postgres' }, /leadership "postgres" needs options\.postgresUrl/],
    [{ vip: '10.9.9.9/24', interface: 'lo', intervalMs: 5 }, /plugins\[0\]\.options\.intervalMs/],
    [{ interface: 'lo' }, /plugins\[0\]\.options.*vip/],
  ];
  for (const [options, message] of cases) {
    await t.rejects(startTestAppliance({ plugins: [{ name: 'ipwatcher', options }] }), message, JSON.stringify(options));
  }
});
