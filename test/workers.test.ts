/**
 * The appliance as a supervisor and worker processes (appliance/workers/), started the way an
 * operator does (`mailserver start`, node.workers: 2) and driven with Python's imaplib, poplib
 * and smtplib. Which worker serves a connection is read from the kernel (`ss -tnp` names the
 * process that owns each socket), so every check below is made with sessions on two workers:
 *   - IMAP IDLE in both workers is woken by one delivery;
 *   - the POP3 maildrop lock holds on the other worker, and is freed when its holder is killed;
 *   - the per-IP connection limit counts the connections of both workers, and a place freed
 *     by QUIT is free on both as soon as the client reads 221; the same for IMAP's (user, IP)
 *     limit and LOGOUT's OK;
 *   - a worker killed with SIGKILL is restarted by the supervisor while the other one serves;
 *   - an IP the mail filter refuses on either worker is committed to the config history (MF-2),
 *     which only the lead writes;
 *   - `mailserver status` lists the workers; a push that changes node.workers starts one more.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, freePorts, seedStore, spawnAppliance, type ApplianceProcess } from './helpers/process.ts';
import { python } from './helpers/python.ts';
import { runCli } from './helpers/cli.ts';
import { git, gitOk } from './helpers/git.ts';

const USER = 'bob@w.test';
const PASS = 'pw-workers';
const PER_IP = 3;
/** imap.maxUserIpSessions (above the 8 logins of the IDLE test) and the user who fills it. */
const PER_USER_IP = 9;
const FILLER = 'carol@w.test';

let app: ApplianceProcess;
let dir: string;
let dataDir: string;
let ports: { smtp: number; pop3: number; imap: number };
process.on('exit', () => app?.child.kill('SIGKILL'));

function configText(workers: number): string {
  return `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'workers.test',
  smtp: { listen: ['127.0.0.1:${ports.smtp}'], maxSessionsPerIp: ${PER_IP} },
  pop3: { listen: ['127.0.0.1:${ports.pop3}'], allowInsecureAuth: true },
  imap: { listen: ['127.0.0.1:${ports.imap}'], allowInsecureAuth: true, maxUserIpSessions: ${PER_USER_IP} },
  http: { listen: ['127.0.0.1:0'] },
  delivery: { dnsServers: ['127.0.0.1:9'] },
  node: { workers: ${workers} },
  plugins: [{ name: 'relay-effect', options: {} }, { name: 'mailfilter', options: { file: './mail.dat' } }],
});
`;
}

/** Python prelude: which process owns the server end of a connection (by the client's port). */
const OWNER = `
import json, re, socket, subprocess, time, imaplib, poplib, smtplib
def owner(sock, port):
    local = sock.getsockname()[1]
    out = subprocess.run(['ss', '-tnpH', 'state', 'established', '( sport = :%d and dport = :%d )' % (port, local)], capture_output=True, text=True).stdout
    m = re.search(r'pid=(\\d+)', out)
    return int(m.group(1)) if m else None
def landed(pid, port, connect, close, tries=300):
    # a connection that worker pid serves: each worker accepts its own connections and an idle
    # node may give one all of them in a row, so the client reconnects until one lands there
    for _ in range(tries):
        c = connect()
        if owner(c.sock, port) == pid: return c
        close(c)
    raise SystemExit('no connection to port %d landed on pid %d in %d tries' % (port, pid, tries))
`;

t.before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-workers-'));
  dataDir = path.join(dir, 'data');
  const [smtp, pop3, imap] = await freePorts(3);
  ports = { smtp, pop3, imap };
  fs.writeFileSync(path.join(dir, 'mailserver.config.ts'), configText(2));
  // MF-2: Level 101 refuses the message and the client's IP
  fs.writeFileSync(path.join(dir, 'mail.dat'), "' seed format\r\nVirus:ban the sender\r\nSubject:banme\r\nLevel:101\r\nVirusEnd:\r\n");
  await seedStore(dataDir, ['w.test'], { [USER]: PASS, [FILLER]: PASS });
  app = spawnAppliance(path.join(dir, 'mailserver.config.ts'), dataDir);
  t.teardown(async () => {
    await app.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await app.waitForLog('ready');
  await app.waitForWorkers(2);
});

async function py(script: string, args: (string | number)[]): Promise<Record<string, unknown>> {
  const r = await python(OWNER + script, args.map(String), { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`python failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

t.test('IMAP IDLE on both workers is woken by one delivery', async (t) => {
  const out = await py(`
import sys
imap, smtp = int(sys.argv[1]), int(sys.argv[2])
sessions = {}
for pid in [int(p) for p in sys.argv[5].split(',')]:
    c = landed(pid, imap, lambda: imaplib.IMAP4('127.0.0.1', imap), lambda c: c.logout())
    c.login(sys.argv[3], sys.argv[4]); c.select('INBOX')
    sessions[pid] = c
for c in sessions.values():
    c.send(c._new_tag() + b' IDLE\\r\\n'); assert c.readline().startswith(b'+')
s = smtplib.SMTP('127.0.0.1', smtp); s.sendmail('a@x.test', [sys.argv[3]], 'Subject: idle\\r\\n\\r\\nwake up\\r\\n'); s.quit()
sent = time.monotonic()
woken = {}
after = []
for pid, c in sessions.items():
    c.sock.settimeout(10)
    woken[pid] = c.readline().decode().strip()
    after.append(round((time.monotonic() - sent) * 1000))
print(json.dumps({'pids': list(sessions), 'woken': list(woken.values()), 'after': after}))
`, [ports.imap, ports.smtp, USER, PASS, app.workers().map((w) => w.pid).join(',')]);
  const workers = app.workers().map((w) => w.pid);
  t.equal((out.pids as number[]).length, 2, 'IDLE sessions on two processes');
  t.ok((out.pids as number[]).every((p) => workers.includes(p)), 'both are workers of this appliance');
  t.same(out.woken, ['* 1 EXISTS', '* 1 EXISTS'], 'both were told of the new message');
  // by the notification, not IDLE's poll (every 5 s): the other worker heard this account is listened to
  t.ok((out.after as number[]).every((ms) => ms < 1500), `both woken within 1.5 s of the 250 (${(out.after as number[]).join(', ')} ms)`);
});

t.test('the POP3 maildrop lock holds on the other worker', async (t) => {
  const out = await py(`
import sys
port = int(sys.argv[1])
holder = poplib.POP3('127.0.0.1', port); holder.user(sys.argv[2]); holder.pass_(sys.argv[3])
hp = owner(holder.sock, port)
def second(p):
    p.user(sys.argv[2])
    try: r = p.pass_(sys.argv[3]).decode()
    except poplib.error_proto as e: r = e.args[0].decode()
    seen = {'pid': owner(p.sock, port), 'reply': r}; p.quit()
    return seen
connect = lambda: poplib.POP3('127.0.0.1', port)
# three wherever they land, and one on the other worker
others = [second(connect()) for _ in range(3)]
other = [int(w) for w in sys.argv[4].split(',') if int(w) != hp][0]
others.append(second(landed(other, port, connect, lambda p: p.quit())))
holder.quit()
p = poplib.POP3('127.0.0.1', port); p.user(sys.argv[2]); after = p.pass_(sys.argv[3]).decode(); p.quit()
print(json.dumps({'holder': hp, 'others': others, 'after': after}))
`, [ports.pop3, USER, PASS, app.workers().map((w) => w.pid).join(',')]);
  const others = out.others as { pid: number; reply: string }[];
  t.ok(others.some((o) => o.pid !== out.holder), 'a second login landed on the other worker');
  t.ok(others.every((o) => o.reply.startsWith('-ERR [IN-USE]')), `every second login is refused [IN-USE]: ${others.map((o) => o.reply).join(' | ')}`);
  t.match(out.after, /^\+OK/, 'after QUIT the maildrop can be opened again');
});

t.test('the per-IP limit counts the connections of both workers', async (t) => {
  const out = await py(`
import sys
port, n = int(sys.argv[1]), int(sys.argv[2])
def burst(k):
    socks, seen = [], []
    for _ in range(k):
        x = socket.create_connection(('127.0.0.1', port)); x.settimeout(10)
        # the greeting first: the connection is then served, by the worker ss names
        greeting = x.recv(200).decode()[:3]
        seen.append({'pid': owner(x, port), 'greeting': greeting}); socks.append(x)
    return socks, seen
# each worker accepts its own connections: an idle node may give one worker several in a row,
# so the limit is filled again until its places are held on both workers
for attempt in range(30):
    socks, first = burst(n)
    if len({c['pid'] for c in first}) == 2: break
    for x in socks: x.sendall(b'QUIT\\r\\n'); x.recv(200); x.close()
more, over = burst(2)
first += over; socks += more
for x in socks: x.sendall(b'QUIT\\r\\n'); x.recv(200); x.close()
socks, again = burst(n)
for x in socks: x.close()
print(json.dumps({'first': first, 'again': again}))
`, [ports.smtp, PER_IP]);
  const first = out.first as { pid: number | null; greeting: string }[];
  const accepted = first.filter((c) => c.greeting === '220');
  t.equal(accepted.length, PER_IP, `${PER_IP} connections greeted`);
  t.same(first.slice(PER_IP).map((c) => c.greeting), ['421', '421'], 'the ones over the limit get 421, though neither worker holds the limit alone');
  t.equal(new Set(accepted.map((c) => c.pid)).size, 2, 'the greeted connections were on both workers');
  t.same((out.again as { greeting: string }[]).map((c) => c.greeting), Array(PER_IP).fill('220'), 'after they quit, the places are free on every worker');
});

t.test('a place freed by QUIT is free on every worker as soon as 221 is read', async (t) => {
  // the limit full across both workers; each round quits the oldest session and reconnects at
  // once, without waiting for the server to see the old socket close (smtp-source does this)
  const out = await py(`
import sys
port, n = int(sys.argv[1]), int(sys.argv[2])
socks, pids, greetings = [], set(), []
# filled again until the places are held on both workers (an idle node may give one several)
for attempt in range(30):
    for x in socks: x.sendall(b'QUIT\\r\\n'); x.recv(200); x.close()
    socks, pids = [], set()
    for _ in range(n):
        x = socket.create_connection(('127.0.0.1', port)); x.settimeout(10)
        assert x.recv(200).decode()[:3] == '220'
        pids.add(owner(x, port)); socks.append(x)
    if len(pids) == 2: break
for _ in range(20):
    old = socks.pop(0)
    old.sendall(b'QUIT\\r\\n'); bye = old.recv(200).decode()[:3]
    x = socket.create_connection(('127.0.0.1', port)); x.settimeout(10)
    greetings.append(bye + ' ' + x.recv(200).decode()[:3])
    pids.add(owner(x, port)); socks.append(x)
    old.close()
for x in socks: x.close()
print(json.dumps({'greetings': greetings, 'workers': len(pids)}))
`, [ports.smtp, PER_IP]);
  t.same(out.greetings, Array(20).fill('221 220'), 'every reconnect after 221 is greeted');
  t.equal(out.workers, 2, 'the sessions were on both workers');
});

t.test("IMAP's (user, IP) limit counts both workers' sessions, and a LOGOUT frees its place on both as soon as its OK is read", async (t) => {
  const out = await py(`
import sys
port, n, user, pw = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def login():
    c = imaplib.IMAP4('127.0.0.1', port)
    try: c.login(user, pw); return c, 'OK'
    except imaplib.IMAP4.error as e: return c, str(e)
sessions, pids = [], set()
# filled again until the sessions are on both workers (an idle node may give one several)
for attempt in range(30):
    for c in sessions: c.logout()
    sessions, pids = [], set()
    for _ in range(n):
        c, r = login(); assert r == 'OK', r
        pids.add(owner(c.sock, port)); sessions.append(c)
    if len(pids) == 2: break
extra, over = login()
extra.logout()
rounds = []
for _ in range(20):
    old = sessions.pop(0); old.logout()
    c, r = login()
    rounds.append(r); pids.add(owner(c.sock, port)); sessions.append(c)
for c in sessions: c.logout()
print(json.dumps({'over': over, 'rounds': rounds, 'workers': len(pids)}))
`, [ports.imap, PER_USER_IP, FILLER, PASS]);
  t.equal(out.workers, 2, 'the sessions were on both workers');
  t.match(out.over, /LIMIT/, `login ${PER_USER_IP + 1} is refused [LIMIT], though neither worker holds the limit alone`);
  t.same(out.rounds, Array(20).fill('OK'), 'every login right after a LOGOUT is accepted');
});

t.test('a worker killed with SIGKILL is restarted while the other serves; its POP3 lock is freed', async (t) => {
  const [, second] = app.workers();
  t.equal(second.lead, false, 'worker 2 is not the lead');
  // hold the maildrop on worker 2, then kill it
  const held = await py(`
import sys, os, signal
port, victim = int(sys.argv[1]), int(sys.argv[4])
for _ in range(8):
    p = poplib.POP3('127.0.0.1', port)
    if owner(p.sock, port) == victim: break
    p.sock.close()
p.user(sys.argv[2]); p.pass_(sys.argv[3])
os.kill(victim, signal.SIGKILL)
time.sleep(0.3)
replies = []
for i in range(10):
    s = smtplib.SMTP('127.0.0.1', int(sys.argv[5]), timeout=10)
    replies.append(s.sendmail('a@x.test', [sys.argv[2]], 'Subject: after %d\\r\\n\\r\\nx\\r\\n' % i) == {} and 250)
    s.quit()
q = poplib.POP3('127.0.0.1', port); q.user(sys.argv[2]); relock = q.pass_(sys.argv[3]).decode(); q.quit()
print(json.dumps({'replies': replies, 'relock': relock}))
`, [ports.pop3, USER, PASS, second.pid, ports.smtp]);
  t.same(held.replies, Array(10).fill(250), 'ten messages accepted right after the kill (none refused)');
  t.match(held.relock, /^\+OK/, 'the lock the killed worker held is free');
  const serving = await app.waitForWorkers(2);
  const restarted = serving.find((w) => w.id === second.id)!;
  t.not(restarted.pid, second.pid, 'worker 2 runs again, as a new process');
  t.equal(restarted.restarts, 1, 'restarted once');
  t.ok(app.logs().some((l) => l.msg?.startsWith(`worker 2 (pid ${second.pid}) exited (SIGKILL); restarting it in`)), 'the supervisor said so');
});

t.test('IPs refused by the mail filter on both workers are committed by the lead', async (t) => {
  // two addresses for each worker, each client reconnecting (quitting before MAIL) until its
  // connection is on the worker it is for (landed)
  const workers = (await app.waitForWorkers(2)).map((w) => w.pid);
  const out = await py(`
import sys
port, user = int(sys.argv[1]), sys.argv[2]
sent, n = [], 5
for pid in [int(p) for p in sys.argv[3].split(',')]:
    for _ in range(2):
        ip = '127.0.0.%d' % n; n += 1
        s = landed(pid, port, lambda: smtplib.SMTP('127.0.0.1', port, source_address=(ip, 0), timeout=10), lambda s: s.quit())
        s.ehlo(); s.mail('x@client.test'); s.rcpt(user)
        try: code = s.data('From: x@client.test\\r\\nTo: %s\\r\\nSubject: banme %s\\r\\n\\r\\nhello\\r\\n' % (user, ip))[0]
        except smtplib.SMTPDataError as e: code = e.smtp_code
        sent.append({'ip': ip, 'pid': pid, 'code': code})
        try: s.quit()
        except Exception: pass
print(json.dumps({'sent': sent}))
`, [ports.smtp, USER, workers.join(',')]);
  const sent = out.sent as { ip: string; pid: number; code: number }[];
  for (const m of sent) t.equal(m.code, 550, `the message from ${m.ip} (on pid ${m.pid}) is refused`);
  const ips = sent.map((m) => m.ip);
  const refusedBy = new Set(app.logs().filter((l) => l.msg === 'client IP added to the refused IPs').map((l) => l.pid));
  t.same([...refusedBy].sort(), [...workers].sort(), 'both workers refused IPs');
  let log = '';
  for (let i = 0; i < 100 && !ips.every((ip) => log.includes(`refuse ${ip}`)); i++) {
    await new Promise((r) => setTimeout(r, 100));
    log = await gitOk(['--git-dir', path.join(dataDir, 'config.git'), 'log', '--format=%an %s']);
  }
  for (const ip of ips) t.match(log, new RegExp(`^mailfilter refuse ${ip.replace(/\./g, '\\.')}: mail filter rule`, 'm'), `${ip} is in the config history`);
});

t.test('mailserver status lists the workers', async (t) => {
  const r = await runCli(['status', '--data', dataDir, '--config', path.join(dir, 'mailserver.config.ts')]);
  t.equal(r.code, 0, r.stderr);
  for (const w of app.workers()) t.match(r.stdout, new RegExp(`^${w.id}\\s+${w.pid}\\s+${w.lead ? 'lead' : 'worker'}\\s+serving`, 'm'), `worker ${w.id} listed`);
  t.match(r.stdout, new RegExp(`supervisor pid ${app.pid}`), 'with the supervisor');
});

t.test('a push that sets node.workers to 3 starts a third worker, live', async (t) => {
  const clone = path.join(dir, 'clone');
  await gitOk(['clone', '-q', path.join(dataDir, 'config.git'), clone]);
  fs.writeFileSync(path.join(clone, 'mailserver.config.ts'), configText(3));
  await gitOk(['-c', 'user.name=t', '-c', 'user.email=t@w.test', 'commit', '-qam', 'three workers'], { cwd: clone });
  const pushed = await git(['push', 'origin', 'HEAD'], { cwd: clone });
  t.equal(pushed.code, 0, pushed.stderr);
  t.match(pushed.stderr, /change: node\.workers: 2 -> 3/, 'the push names the change');
  const serving = await app.waitForWorkers(3);
  t.same(serving.map((w) => w.id).sort(), [1, 2, 3], 'three workers serve');
  const appliedBy = new Set(app.logs().filter((l) => l.msg === 'config applied' && /three workers|local push/.test(String(l.apply))).map((l) => l.pid));
  t.ok(appliedBy.size >= 2, `the lead and worker 2 applied the commit (processes ${[...appliedBy].join(', ')})`);
});
