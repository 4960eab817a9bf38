/**
 * A config change never takes the virtual IP down. Two nodes started by `mailserver start` in
 * network namespaces, on one PostgreSQL store (over its Unix socket), with the ipwatcher plugin on
 * a PostgreSQL lease and `node.shareConfig`; one config file for both whose per-node values are
 * expressions on the environment; the real git client pushing over HTTP from the client namespace.
 *
 * - neither node waits on its own config-sync pool at start;
 * - `mailserver config check` run on the holder's host, a push applied on the holder and a push
 *   to the other node (adopted by the holder) all leave the VIP where it is, answering;
 * - an address removed from the holder's interface behind its back is put back, with a log line;
 * - 10 pushes alternating between the nodes under SMTP load through the VIP: no gap over 2 s in
 *   accepted mail, every acknowledged message stored exactly once;
 * - `mailserver status` shows the VIP among the addresses of the node that holds it now.
 */
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './helpers/appliance.ts';
import { createNetLab, LabAppliance, watchVip, type LabHost, type NetLab } from './helpers/netns.ts';
import { PYTHON, VIP, GREETING, sleep } from './helpers/cluster.ts';
import { startPostgres, type TestPostgres } from './helpers/postgres.ts';
import { gitEnv, type GitResult } from './helpers/git.ts';
import { REPO_ROOT } from './helpers/process.ts';
import { openStore } from '../appliance/store/open.ts';

const ADMIN = 'Administrator@cluster.test';
const PASSWORD = 'admin-secret';
const BIN = path.join(REPO_ROOT, 'bin', 'mailserver.js');

/** Sends messages to the VIP until told to stop (a line on stdin); prints when each was acknowledged. */
const LOAD = String.raw`
import smtplib, sys, time, threading
vip = sys.argv[1]
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
i = 0
while not stop.is_set():
    i += 1; subject = 'soak-%d' % i
    try:
        c = smtplib.SMTP(timeout=3)
        code, banner = c.connect(vip, 25)
        if code != 220: raise Exception('greeting %d' % code)
        c.sendmail('a@client.test', ['u1@cluster.test'], ('Subject: %s\r\n\r\nx\r\n' % subject).encode())
        print('OK %s %.3f %s' % (subject, time.time(), banner.decode().split()[0]), flush=True)
        try: c.quit()
        except Exception: pass
    except Exception as e:
        print('FAIL %s %.3f %s' % (subject, time.time(), type(e).__name__), flush=True)
        time.sleep(0.05)
print('END %.3f' % time.time(), flush=True)
`;

if (process.getuid?.() !== 0) {
  t.plan(0, 'needs root for network namespaces');
} else {
  // two nodes, PostgreSQL and a dozen pushes: longer than the suite's per-file default
  t.setTimeout(480_000);
  const dir = tempDir('cluster-vip-');
  let pg: TestPostgres;
  let lab: NetLab;
  let vip: ReturnType<typeof watchVip>;
  const nodes: LabAppliance[] = [];
  let url = '';

  t.before(async () => {
    pg = await startPostgres();
    lab = await createNetLab(2);
    const dbUrl = await pg.database();
    const db = new URL(dbUrl).pathname.slice(1);
    url = `postgres://postgres@localhost:${pg.port}/${db}?host=${encodeURIComponent(pg.dir)}`;
    const stores = await openStore({ kind: 'postgres', url: dbUrl, poolSize: 2 }, path.join(dir, 'seed'));
    await stores.domains.create({ name: 'cluster.test' });
    for (const [name, password] of [['Administrator', PASSWORD], ['u1', 'pw-u1']] as const) {
      await stores.accounts.create({
        name, domain: 'cluster.test', password, fullName: '', home: '', quota: 0, smtpAuth: false, apop: false,
        pop3Disabled: false, imapDisabled: false, sharedPath: '', sharedWrite: false,
      });
    }
    await stores.close();
    // one config for both nodes, as an operator shares it: what differs per node comes from the environment
    const config = `const env = process.env;
export default {
  hostname: \`\${env.MAILSERVER_NODE}.cluster.test\`,
  node: { name: env.MAILSERVER_NODE ?? 'node', shareConfig: true },
  store: { kind: 'postgres', url: ${JSON.stringify(url)}, poolSize: 4 },
  smtp: { listen: ['0.0.0.0:25'], hiddenIps: [env.NODE_IP ?? ''], maxRecipients: 100 },
  pop3: { listen: ['127.0.0.1:0'] },
  imap: { listen: ['127.0.0.1:0'] },
  http: { listen: ['0.0.0.0:8025'] },
  delivery: { enabled: false },
  log: { level: 'info' },
  plugins: [{
    name: 'ipwatcher',
    options: { vip: '${VIP}/24', interface: 'eth0', peers: [env.PEER_IP ?? ''], intervalMs: 300, timeoutMs: 400,
      leadership: 'postgres', role: env.MAILSERVER_NODE === 'n1' ? 'master' : 'slave', releaseCycle: 0 },
  }],
};
`;
    for (const host of lab.nodes) {
      const peer = lab.nodes.find((n) => n !== host)!;
      const node = new LabAppliance(lab, host, path.join(dir, host.name), {}, {
        MAILSERVER_NODE: host.name, NODE_IP: host.ip, PEER_IP: peer.ip, MAILSERVER_HEARTBEAT_MS: '300',
      });
      fs.writeFileSync(node.configFile, config);
      nodes.push(node);
    }
    vip = watchVip(lab, VIP);
  });
  t.teardown(async () => {
    for (const n of nodes) await n.stop();
    await vip?.stop();
    await lab?.destroy();
    await pg?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** git in the client namespace (the nodes' HTTP listeners are on their namespace addresses). */
  const git = (args: string[], cwd?: string): Promise<GitResult> => new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', lab.client.ns, 'git', ...args], { cwd, env: gitEnv(), timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
  const remote = (host: LabHost) => `http://${encodeURIComponent(ADMIN)}:${encodeURIComponent(PASSWORD)}@${host.ip}:8025/config.git`;
  const work = () => path.join(dir, 'work');
  const headSubject = async (n: LabAppliance) => new Promise<string>((resolve) => {
    execFile('git', ['--git-dir', path.join(n.dataDir, 'config.git'), 'log', '-1', '--format=%s', 'main'], { env: gitEnv() }, (_e, out) => resolve(String(out).trim()));
  });
  const greeting = async () => (await lab.exec(lab.client, [PYTHON, '-c', GREETING, VIP, '25'])).trim();

  /** The VIP stays on `name` for `ms` (sampled every 100 ms), answering SMTP at the end. */
  async function vipStays(t: Test, name: string, ms: number, what: string) {
    const from = vip.samples.length;
    await sleep(ms);
    const seen = vip.samples.slice(from);
    const away = seen.filter((s) => s.holders.length !== 1 || s.holders[0] !== name);
    t.same(away.map((s) => s.holders), [], `${what}: the VIP stayed on ${name} (${seen.length} samples over ${ms} ms)`);
    t.match(await greeting(), new RegExp(`^220 ${name}\\.cluster\\.test`), `${what}: the VIP answers SMTP on ${name}`);
  }

  /** Edits maxRecipients in a clone of `host`'s repository, commits and pushes it there. */
  async function pushTo(t: Test, host: LabHost, value: number): Promise<string> {
    const w = work();
    if (!fs.existsSync(w)) {
      const c = await git(['clone', '-q', remote(host), w]);
      if (c.code) throw new Error(`clone: ${c.stderr}`);
    }
    for (const args of [['remote', 'set-url', 'origin', remote(host)], ['fetch', '-q', 'origin'], ['reset', '-q', '--hard', 'origin/main']]) {
      const r = await git(args, w);
      if (r.code) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    }
    const file = path.join(w, 'mailserver.config.ts');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/maxRecipients: \d+/, `maxRecipients: ${value}`));
    const message = `maxRecipients ${value}`;
    const c = await git(['commit', '-qam', message], w);
    if (c.code) throw new Error(`commit: ${c.stderr}`);
    const p = await git(['push', '-q', 'origin', 'main'], w);
    t.equal(p.code, 0, `push "${message}" to ${host.name} accepted${p.code ? `:\n${p.stderr}` : ''}`);
    return message;
  }

  /** Waits until both nodes run the commit with this message (the other one through shareConfig). */
  async function everywhere(message: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const subjects = await Promise.all(nodes.map(headSubject));
      if (subjects.every((s) => s === message)) return;
      if (Date.now() > deadline) throw new Error(`"${message}" not on every node within ${timeoutMs} ms (heads: ${subjects.join(' | ')})`);
      await sleep(100);
    }
  }

  t.test('both nodes start without waiting on their own config-sync pool', async (t) => {
    const [n1, n2] = nodes;
    n1!.start();
    await n1!.waitForLog('ready', 40_000);
    await vip.waitFor('n1');
    n2!.start();
    await n2!.waitForLog('ready', 40_000);
    for (const n of nodes) {
      const stuck = n.logs().filter((l) => /config sync: cannot reach PostgreSQL/.test(String(l.msg)));
      t.same(stuck.map((l) => l.err), [], `${n.host.name}: no "cannot reach PostgreSQL at start" with PostgreSQL up`);
    }
    t.ok(n1!.logs().some((l) => /^config sync: published/.test(String(l.msg))), 'node 1 published its config at start');
  });

  t.test('config check on the holder\'s host leaves the VIP in place', async (t) => {
    const c = await git(['clone', '-q', remote(lab.nodes[0]!), work()]);
    t.equal(c.code, 0, c.stderr);
    const n1 = nodes[0]!;
    const out = await lab.exec(lab.nodes[0]!, ['env', `MAILSERVER_NODE=n1`, `NODE_IP=${n1.host.ip}`, `PEER_IP=${lab.nodes[1]!.ip}`, process.execPath, BIN, 'config', 'check', work()], 60_000);
    t.match(out, /ok|valid/i, `config check passed:\n${out}`);
    await vipStays(t, 'n1', 1500, 'after config check');
  });

  t.test('a push applied on the holder leaves the VIP in place', async (t) => {
    const message = await pushTo(t, lab.nodes[0]!, 90);
    await everywhere(message);
    await vipStays(t, 'n1', 1500, 'after a push to the holder');
  });

  t.test('a push to the other node, adopted by the holder, leaves the VIP in place', async (t) => {
    const message = await pushTo(t, lab.nodes[1]!, 80);
    await everywhere(message);
    await vipStays(t, 'n1', 1500, 'after a push to the other node');
  });

  t.test('an address removed behind the holder\'s back is put back', async (t) => {
    const n1 = nodes[0]!;
    await lab.exec(lab.nodes[0]!, ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
    const ms = await vip.waitFor('n1', 5000);
    await n1.waitForLog('ipwatcher: the virtual IP was missing from the interface; added it again', 5000);
    t.pass(`the holder put it back and said so (${ms} ms)`);
    t.match(await greeting(), /^220 n1\.cluster\.test/, 'the VIP answers on n1 again');
  });

  t.test('soak: 10 pushes alternating between the nodes under SMTP load through the VIP', async (t) => {
    const client = lab.spawn(lab.client, [PYTHON, '-c', LOAD, VIP], { stdin: true });
    let out = '';
    client.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    client.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => client.once('exit', (code) => r(code)));
    const startedAt = Date.now() / 1000;
    for (let i = 0; i < 10; i++) {
      const message = await pushTo(t, lab.nodes[i % 2]!, 50 + i);
      await everywhere(message);
    }
    await sleep(500);
    client.stdin!.write('stop\n');
    t.equal(await exited, 0, `the load client ended cleanly${/Traceback/.test(out) ? `:\n${out.slice(-2000)}` : ''}`);
    const ok = [...out.matchAll(/^OK (\S+) ([0-9.]+)/gm)].map((m) => ({ subject: m[1]!, at: Number(m[2]) }));
    const failed = [...out.matchAll(/^FAIL (\S+) [0-9.]+ (\S+)/gm)].map((m) => `${m[1]} ${m[2]}`);
    const end = Number(/^END ([0-9.]+)/m.exec(out)?.[1] ?? Date.now() / 1000);
    let gap = 0;
    let last = startedAt;
    for (const m of [...ok.map((o) => o.at), end]) {
      gap = Math.max(gap, m - last);
      last = m;
    }
    t.ok(ok.length > 50, `messages accepted through the VIP during the pushes (${ok.length} accepted, ${failed.length} failed${failed.length ? `: ${failed.slice(0, 5).join(', ')}` : ''})`);
    t.ok(gap < 2, `no gap over 2 s in accepted mail (longest ${gap.toFixed(2)} s)`);
    t.equal(vip.maxHolders, 1, 'never two nodes with the VIP');

    const stores = await openStore({ kind: 'postgres', url, poolSize: 2 }, path.join(dir, 'check'));
    try {
      const acct = await stores.accounts.get('u1@cluster.test');
      const mbox = await stores.mail.mailbox(acct!.id, 'INBOX');
      const count = new Map<string, number>();
      for (const m of await stores.mail.messages(mbox!.id)) {
        const s = /^Subject: (soak-\d+)/m.exec((await stores.mail.read(m.blobId)).toString('utf8'))?.[1];
        if (s) count.set(s, (count.get(s) ?? 0) + 1);
      }
      t.same(ok.filter((o) => count.get(o.subject) !== 1).map((o) => `${o.subject}: ${count.get(o.subject) ?? 0}`), [], 'every acknowledged message is stored exactly once');
    } finally {
      await stores.close();
    }
    t.comment(`soak: ${ok.length} accepted, ${failed.length} failed, longest gap ${gap.toFixed(2)} s over 10 pushes`);
  });

  t.test('status shows the VIP with the node that holds it now', async (t) => {
    const status = async () => {
      const out = await lab.exec(lab.nodes[1]!, ['env', 'MAILSERVER_NODE=n2', process.execPath, BIN, 'status', '--json', '--config', nodes[1]!.configFile, '--data', nodes[1]!.dataDir]);
      return JSON.parse(out) as { name: string; addresses: string[]; down?: boolean }[];
    };
    const before = await status();
    t.ok(before.find((n) => n.name === 'n1')?.addresses.includes(VIP), 'n1 lists the VIP while it holds it');
    t.notOk(before.find((n) => n.name === 'n2')?.addresses.includes(VIP), 'n2 does not');
    await nodes[0]!.kill9();
    await vip.waitFor('n2', 10_000);
    let after = await status();
    for (let i = 0; i < 30 && !after.find((n) => n.name === 'n2')?.addresses.includes(VIP); i++) {
      await sleep(200);
      after = await status();
    }
    t.ok(after.find((n) => n.name === 'n2')?.addresses.includes(VIP), `after the failover n2 lists the VIP (${JSON.stringify(after.map((n) => [n.name, n.addresses]))})`);
  });
}
