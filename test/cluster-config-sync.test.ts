/**
 * Config across nodes, with real parts: a private PostgreSQL, appliances
 * started by `mailserver start` (each its own data directory and config repository) on one
 * database, one shared config file whose per-node values (node name, ports) are expressions on
 * the environment, and the real git client pushing over HTTP.
 *
 * - node 2, started after node 1 with an empty repository, comes up on node 1's commit;
 * - a push to node 1 (smtp.maxRecipients 100 -> 1) is applied on node 2 within seconds (its SMTP
 *   refuses the second RCPT), and `mailserver status` shows the pushed commit on both;
 * - node 3, started later with a fresh data directory, comes up on the pushed commit;
 * - a push node 1 refuses (bad type) changes nothing anywhere;
 * - a commit that cannot come up on one node (its listener port is taken there) is applied on the
 *   others, and the failing node keeps serving its config and records the error;
 * - a rollback on node 2 is applied on node 1 (any node publishes);
 * - after a PostgreSQL restart a push still reaches node 2 (LISTEN reconnects).
 */
import t from 'tap';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { freePorts, REPO_ROOT, spawnAppliance, type ApplianceProcess } from './helpers/process.ts';
import { tempDir } from './helpers/appliance.ts';
import { startPostgres } from './helpers/postgres.ts';
import { runCli } from './helpers/cli.ts';
import { authUrl, git, gitOk } from './helpers/git.ts';
import { smtpSteps, type Step } from './helpers/smtp-script.ts';
import { openStore } from '../appliance/store/open.ts';

const ADMIN = 'Administrator@sync.test';
const PASSWORD = 'admin-secret';
const TWO_RCPTS: Step[] = [['cmd', 'MAIL FROM:<x@outside.test>'], ['cmd', 'RCPT TO:<a@sync.test>'], ['cmd', 'RCPT TO:<b@sync.test>']];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const dir = tempDir('config-sync-');
const pgServer = await startPostgres();
const url = await pgServer.database();
/** One query on its own connection (PostgreSQL is restarted by a subtest). */
const db = {
  async query<R extends pg.QueryResultRow>(sql: string): Promise<pg.QueryResult<R>> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return await c.query<R>(sql);
    } finally {
      await c.end();
    }
  },
};
t.teardown(async () => {
  await pgServer.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

// the accounts live in the shared store: seed them once
{
  const stores = await openStore({ kind: 'postgres', url, poolSize: 2 }, path.join(dir, 'seed'));
  await stores.domains.create({ name: 'sync.test' });
  for (const [name, password] of [['Administrator', PASSWORD], ['a', 'pw-a'], ['b', 'pw-b']] as const) {
    await stores.accounts.create({
      name, domain: 'sync.test', password, fullName: '', home: '', quota: 0, smtpAuth: false, apop: false,
      pop3Disabled: false, imapDisabled: false, sharedPath: '', sharedWrite: false,
    });
  }
  await stores.close();
}

// one config for every node: what differs per node is an expression evaluated on that node
const configFile = path.join(dir, 'mailserver.config.ts');
fs.writeFileSync(configFile, `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
const env = process.env;
export default defineConfig({
  hostname: 'sync.test',
  node: { name: env.MAILSERVER_NODE ?? 'node', shareConfig: true },
  store: { kind: 'postgres', url: ${JSON.stringify(url)}, poolSize: 3 },
  smtp: { listen: [\`127.0.0.1:\${env.TEST_SMTP_PORT}\`], maxRecipients: 100 },
  pop3: { listen: [\`127.0.0.1:\${env.TEST_POP3_PORT}\`] },
  imap: { listen: ['127.0.0.1:0'] },
  http: { listen: [\`127.0.0.1:\${env.TEST_HTTP_PORT}\`] },
  delivery: { enabled: false },
  log: { level: 'info' },
});
`);

interface Node { name: string; smtp: number; http: number; extra: number; dataDir: string; app: ApplianceProcess }
const nodes: Node[] = [];
t.teardown(async () => {
  for (const n of nodes) await n.app.stop();
});

/** `mailserver start` for node `name` with its own ports in the environment the shared config reads. */
async function startNode(name: string): Promise<Node> {
  const [smtp, pop3, http, extra] = await freePorts(4);
  const env: Record<string, string> = {
    MAILSERVER_NODE: name, TEST_SMTP_PORT: String(smtp), TEST_POP3_PORT: String(pop3), TEST_HTTP_PORT: String(http),
    TEST_EXTRA_PORT: String(extra), MAILSERVER_HEARTBEAT_MS: '300',
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env); // the child gets a copy of the environment at spawn
  const dataDir = path.join(dir, name);
  let app: ApplianceProcess;
  try {
    app = spawnAppliance(configFile, dataDir);
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
  const node = { name, smtp: smtp!, http: http!, extra: extra!, dataDir, app };
  nodes.push(node);
  await app.waitForLog('ready', 40_000);
  return node;
}

const head = async (n: Node) => (await gitOk(['--git-dir', path.join(n.dataDir, 'config.git'), 'rev-parse', 'main'])).trim();
const subject = async (n: Node) => (await gitOk(['--git-dir', path.join(n.dataDir, 'config.git'), 'log', '-1', '--format=%s'])).trim();
const published = async () => (await db.query<{ seq: string; oid: string; node: string; message: string }>('SELECT seq, oid, node, message FROM cluster_config ORDER BY seq')).rows;
const recipientsAccepted = async (n: Node) => ((await smtpSteps(n.smtp, TWO_RCPTS))[2]![0] < 400 ? 2 : 1);

async function status(n: Node): Promise<{ name: string; configCommit: string; down: boolean }[]> {
  const r = await runCli(['status', '--json', '--data', n.dataDir]);
  if (r.code !== 0) throw new Error(`status failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { name: string; configCommit: string; down: boolean }[];
}

/** Polls until every listed node's status shows `id` (heartbeats every 300 ms). */
async function statusShows(n: Node, names: string[], id: string, timeoutMs = 5000): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await status(n);
    const seen = Object.fromEntries(rows.map((r) => [r.name, r.configCommit]));
    if (names.every((name) => seen[name] === id.slice(0, 12)) || Date.now() > deadline) return seen;
    await sleep(200);
  }
}

const n1 = await startNode('n1');
const n2 = await startNode('n2');
const work = path.join(dir, 'work');
const file = path.join(work, 'mailserver.config.ts');

t.test('the first node publishes its config; a node with an empty repository starts on it', async (t) => {
  const rows = await published();
  t.equal(rows.length, 1, 'one published commit');
  t.equal(rows[0]!.node, 'n1');
  t.equal(rows[0]!.oid, await head(n1), 'the cluster-wide id is node 1\'s commit');
  t.match(await subject(n2), /^initial config/, 'node 2 has the same commit (its own oid)');
  t.ok(n2.app.logs().some((l) => /starting on the cluster's commit/.test(String(l.msg)) && l.commit === rows[0]!.oid), 'node 2 says it started on it');
  t.notOk(n2.app.logs().some((l) => /^config sync: published/.test(String(l.msg))), 'node 2 did not publish its own initial config');
  t.equal(await recipientsAccepted(n1), 2);
  t.equal(await recipientsAccepted(n2), 2);
  const seen = await statusShows(n1, ['n1', 'n2'], rows[0]!.oid);
  t.same(seen, { n1: rows[0]!.oid.slice(0, 12), n2: rows[0]!.oid.slice(0, 12) }, 'status: both run the published id');
});

t.test('a push to node 1 is applied on node 2 within seconds', async (t) => {
  await gitOk(['clone', '-q', authUrl(`http://127.0.0.1:${n1.http}/config.git`, ADMIN, PASSWORD), work]);
  const text = fs.readFileSync(file, 'utf8');
  t.match(text, /node: \{ name: env\.MAILSERVER_NODE/, 'the per-node expressions are in the shared config');
  fs.writeFileSync(file, text.replace('maxRecipients: 100', 'maxRecipients: 1'));
  await gitOk(['commit', '-qam', 'one recipient per message'], { cwd: work });
  const push = await git(['push', 'origin', 'main'], { cwd: work });
  t.equal(push.code, 0, push.stderr);
  t.match(push.stderr, /remote: applied/);
  const pushed = (await gitOk(['rev-parse', 'HEAD'], { cwd: work })).trim();
  const t0 = Date.now();
  t.equal(await recipientsAccepted(n1), 1, 'node 1 applied it');
  let accepted = 2;
  while (Date.now() - t0 < 10_000 && (accepted = await recipientsAccepted(n2)) !== 1) await sleep(100);
  const ms = Date.now() - t0;
  t.equal(accepted, 1, `node 2 refuses the second RCPT too (after ${ms} ms)`);
  t.comment(`push on node 1 -> applied on node 2 in ${ms} ms`);
  const rows = await published();
  t.equal(rows.at(-1)!.oid, pushed, 'the pushed commit is published under its own oid');
  t.match(rows.at(-1)!.message, /one recipient per message/);
  t.equal(await subject(n2), 'one recipient per message', 'node 2 committed the same change');
  t.not(await head(n2), pushed, 'as its own commit (its oid differs)');
  t.ok(n2.app.logs().some((l) => l.msg === 'config applied' && l.commit === pushed), 'node 2 logs the apply under the published id');
  const seen = await statusShows(n1, ['n1', 'n2'], pushed);
  t.same(seen, { n1: pushed.slice(0, 12), n2: pushed.slice(0, 12) }, 'status shows the published id on both nodes');
  const state = await db.query<{ node: string; oid: string; error: string | null }>('SELECT node, oid, error FROM cluster_config_nodes ORDER BY node');
  t.same(state.rows, [{ node: 'n1', oid: pushed, error: null }, { node: 'n2', oid: pushed, error: null }]);
});

t.test('a node started later comes up on the current commit', async (t) => {
  const pushed = (await published()).at(-1)!.oid;
  const n3 = await startNode('n3');
  t.equal(await recipientsAccepted(n3), 1, 'node 3 serves the pushed config from its first session');
  t.equal(await subject(n3), 'one recipient per message');
  const seen = await statusShows(n1, ['n1', 'n2', 'n3'], pushed);
  t.equal(seen.n3, pushed.slice(0, 12), 'status: node 3 runs the published id');
});

t.test('a push node 1 refuses changes nothing on the other nodes', async (t) => {
  const before = await published();
  const heads = [await head(n2), await head(nodes[2]!)];
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('maxRecipients: 1', "maxRecipients: 'many' as unknown as number"));
  await gitOk(['commit', '-qam', 'bad type'], { cwd: work });
  const push = await git(['push', 'origin', 'main'], { cwd: work });
  t.not(push.code, 0);
  t.match(push.stderr, /remote: error: mailserver\.config\.ts: smtp\.maxRecipients: .*"many"/);
  await gitOk(['reset', '-q', '--hard', 'origin/main'], { cwd: work });
  await sleep(1500);
  t.same(await published(), before, 'nothing was published');
  t.same([await head(n2), await head(nodes[2]!)], heads, 'the other repositories did not move');
  t.equal(await recipientsAccepted(n2), 1, 'node 2 still runs the last good commit');
});

t.test('a commit that cannot come up on one node: applied on the others, the error recorded', async (t) => {
  const n3 = nodes[2]!;
  // node 2's extra port is taken there; on the other nodes it is free
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(n2.extra, '127.0.0.1', () => r()));
  t.teardown(() => blocker.close());
  const good = (await published()).at(-1)!.oid;
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('listen: [`127.0.0.1:${env.TEST_SMTP_PORT}`]', 'listen: [`127.0.0.1:${env.TEST_SMTP_PORT}`, `127.0.0.1:${env.TEST_EXTRA_PORT}`]'));
  await gitOk(['commit', '-qam', 'a second SMTP listener'], { cwd: work });
  const push = await git(['push', 'origin', 'main'], { cwd: work });
  t.equal(push.code, 0, push.stderr);
  const pushed = (await gitOk(['rev-parse', 'HEAD'], { cwd: work })).trim();
  let row: { error: string | null; oid: string } | undefined;
  for (let i = 0; i < 50 && !row?.error; i++) {
    await sleep(200);
    row = (await db.query<{ error: string | null; oid: string }>("SELECT error, oid FROM cluster_config_nodes WHERE node = 'n2'")).rows[0];
  }
  t.match(row?.error ?? '', new RegExp(`^${pushed.slice(0, 7)} .*not applied: .*127\\.0\\.0\\.1:${n2.extra}.*EADDRINUSE`), 'node 2 recorded why');
  t.equal(row?.oid, good, 'and that it still runs the previous commit');
  t.ok(n2.app.logs().some((l) => /NOT applied/.test(String(l.msg))), 'node 2 logged it');
  t.ok(await smtpSteps(n3.extra, [['cmd', 'NOOP']]).then(() => true, () => false), 'node 3 listens on its extra port');
  t.equal(await recipientsAccepted(n2), 1, 'node 2 keeps serving');
  const seen = await statusShows(n1, ['n1', 'n3'], pushed);
  t.same(seen, { n1: pushed.slice(0, 12), n2: good.slice(0, 12), n3: pushed.slice(0, 12) }, 'status shows who runs which commit');
  const text = await runCli(['status', '--data', n1.dataDir]);
  t.match(text.stdout, /warning: the nodes run 2 different configs/);
  t.match(text.stdout, new RegExp(`warning: node n2: config ${pushed.slice(0, 7)} .*not applied: .*EADDRINUSE`), 'status says why node 2 is behind');
});

t.test('a rollback on node 2 is applied on node 1', async (t) => {
  const r = await runCli(['config', 'rollback', 'HEAD~1', '--data', n2.dataDir]);
  t.equal(r.code, 0, r.stderr + r.stdout);
  t.match(r.stdout, /change: smtp\.maxRecipients: 1 -> 100/);
  // published once the rollback's commit is on main (the answer to the CLI comes first)
  let rows = await published();
  for (let i = 0; i < 50 && rows.at(-1)!.node !== 'n2'; i++) rows = (await sleep(100), await published());
  t.equal(rows.at(-1)!.node, 'n2', 'node 2 published the rollback');
  t.match(rows.at(-1)!.message, /^rollback to/);
  let accepted = 1;
  const t0 = Date.now();
  while (Date.now() - t0 < 10_000 && (accepted = await recipientsAccepted(n1)) !== 2) await sleep(100);
  t.equal(accepted, 2, `node 1 accepts two recipients again (after ${Date.now() - t0} ms)`);
  t.match(await subject(n1), /^rollback to/);
  const id = rows.at(-1)!.oid;
  const seen = await statusShows(n1, ['n1', 'n2', 'n3'], id);
  t.same(seen, { n1: id.slice(0, 12), n2: id.slice(0, 12), n3: id.slice(0, 12) }, 'all three run the rollback');
  const text = await runCli(['status', '--data', n1.dataDir]);
  t.notMatch(text.stdout, /warning/, 'no node is behind any more');
});

t.test('after PostgreSQL restarts, a push still reaches the other nodes', async (t) => {
  await pgServer.restart();
  await gitOk(['pull', '-q', '--ff-only'], { cwd: work }).catch(async () => {
    await gitOk(['fetch', '-q'], { cwd: work });
    await gitOk(['reset', '-q', '--hard', 'origin/main'], { cwd: work });
  });
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/maxRecipients: \d+/, 'maxRecipients: 1'));
  await gitOk(['commit', '-qam', 'one recipient again'], { cwd: work });
  const push = await git(['push', 'origin', 'main'], { cwd: work });
  t.equal(push.code, 0, push.stderr);
  const pushed = (await gitOk(['rev-parse', 'HEAD'], { cwd: work })).trim();
  const t0 = Date.now();
  let accepted = 2;
  while (Date.now() - t0 < 10_000 && (accepted = await recipientsAccepted(n2)) !== 1) await sleep(100);
  t.equal(accepted, 1, `node 2 applied it (after ${Date.now() - t0} ms)`);
  t.equal((await published()).at(-1)!.oid, pushed);
});
