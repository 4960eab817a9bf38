/**
 * The appliance's own log, as an operator meets it. On a pipe (journald, a file): one JSON object
 * a line, and no line with a key twice — checked with Python's JSON parser told to refuse
 * duplicates, after SMTP, IMAP and POP3 sessions with logins (the session loggers bind `user`),
 * a failed login and a git request (the config service binds `service`). On a terminal (`script`
 * gives it a pseudo-terminal): human-readable lines.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, applianceCommand, freePorts, seedStore, spawnAppliance, type ApplianceProcess } from './helpers/process.ts';
import { python } from './helpers/python.ts';
import { waitFor } from './helpers/sink.ts';

const USER = 'dora@logs.test';
const PASS = 'pw-dora';

function writeConfig(dir: string, ports: number[]): string {
  const file = path.join(dir, 'mailserver.config.ts');
  fs.writeFileSync(file, `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'logs.test',
  smtp: { listen: ['127.0.0.1:${ports[0]}'], auth: { allowInsecure: true, failureDelayMs: 0 } },
  pop3: { listen: ['127.0.0.1:${ports[1]}'], allowInsecureAuth: true },
  imap: { listen: ['127.0.0.1:${ports[2]}'], allowInsecureAuth: true },
  http: { listen: ['127.0.0.1:${ports[3]}'] },
  auth: { penalty: { initialDelayMs: 0, maxDelayMs: 0 } },
  delivery: { dnsServers: ['127.0.0.1:9'] },
  node: { workers: 1 },
});
`);
  return file;
}

const DUPLICATES = `
import json, sys
def refuse(pairs):
    keys = [k for k, _ in pairs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup: raise ValueError('duplicate keys %s' % dup)
    return dict(pairs)
checked, bad = 0, []
for line in sys.stdin:
    if not line.startswith('{'): continue
    try:
        json.loads(line, object_pairs_hook=refuse); checked += 1
    except ValueError as e:
        bad.append('%s: %s' % (e, line.strip()[:300]))
print(json.dumps({'checked': checked, 'bad': bad}))
`;

const TRAFFIC = `
import smtplib, imaplib, poplib, sys
smtp, pop3, imap, user, pw = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
s = smtplib.SMTP('127.0.0.1', smtp); s.login(user, pw); s.sendmail(user, [user], b'Subject: hi\\r\\n\\r\\nhello\\r\\n'); s.quit()
m = imaplib.IMAP4('127.0.0.1', imap)
try: m.login(user, 'wrong')
except imaplib.IMAP4.error: pass
m.logout()
m = imaplib.IMAP4('127.0.0.1', imap); m.login(user, pw); m.select('INBOX'); m.logout()
p = poplib.POP3('127.0.0.1', pop3); p.user(user); p.pass_(pw); p.stat(); p.quit()
`;

t.test('on a pipe: JSON lines, no key twice in a line', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-logfmt-'));
  const ports = await freePorts(4);
  const dataDir = path.join(dir, 'data');
  await seedStore(dataDir, ['logs.test'], { [USER]: PASS });
  const app: ApplianceProcess = spawnAppliance(writeConfig(dir, ports), dataDir);
  t.teardown(async () => {
    await app.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await app.waitForLog('ready');
  const r = await python(TRAFFIC, [ports[0], ports[1], ports[2], USER, PASS].map(String), { timeoutMs: 30_000 });
  t.equal(r.code, 0, r.stderr);
  // a git request with a wrong password: the config service's HTTP handler logs it
  const git = await fetch(`http://127.0.0.1:${ports[3]}/config.git/info/refs?service=git-upload-pack`, { headers: { authorization: `Basic ${Buffer.from('x@logs.test:bad').toString('base64')}` } });
  t.equal(git.status, 401, 'the git request was refused');
  await waitFor('the sessions logged out', async () => (app.logs().some((l) => l.msg === 'pop3 logout') && app.logs().some((l) => l.msg === 'imap logout') ? true : null));
  const out = await python(DUPLICATES, [], { input: app.output() });
  const result = JSON.parse(out.stdout) as { checked: number; bad: string[] };
  t.ok(result.checked >= 10, `${result.checked} JSON lines checked`);
  t.same(result.bad, [], 'no line has a key twice');
  const logout = app.logs().find((l) => l.msg === 'imap logout');
  t.equal(logout?.user, USER, 'the logout line still names the user (bound at the login)');
  t.equal(app.logs().find((l) => l.msg === 'pop3 login')?.user, USER, 'and the pop3 login line');
});

t.test('on a terminal: human-readable lines', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-logtty-'));
  const ports = await freePorts(4);
  const command = [process.execPath, ...applianceCommand(writeConfig(dir, ports), path.join(dir, 'data'))].map((a) => `'${a}'`).join(' ');
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  delete env.MAILSERVER_LOG_FORMAT;
  // script(1) runs the command on a pseudo-terminal and copies what it writes to our pipe
  const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  // eslint-disable-next-line no-control-regex
  const plain = () => out.replace(/\x1b\[[0-9;]*m/g, '');
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  t.teardown(() => {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await waitFor('ready on the terminal', async () => (/INFO: ready/.test(plain()) ? true : null), 60_000);
  const exited = new Promise((r) => child.once('exit', r));
  child.stdin.write('\x03'); // Ctrl-C on the terminal: SIGINT to the appliance
  await exited;
  const lines = plain().split(/\r?\n/).filter(Boolean);
  t.ok(lines.length >= 5, `${lines.length} lines`);
  t.notOk(lines.some((l) => l.startsWith('{')), 'no JSON line');
  t.ok(out.includes('\x1b['), 'coloured');
  t.ok(lines.some((l) => /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: smtp listening/.test(l)), 'time, level and message first');
});
