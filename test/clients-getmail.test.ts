/**
 * getmail6 (the real one, /usr/bin/getmail) over POP3S with its default settings
 * (SimplePOP3SSLRetriever, only the account, the CA file and a Maildir destination): messages
 * delivered over SMTP arrive in the Maildir byte for byte below the headers getmail and the
 * appliance add; with `delete = false` they stay on the server, with `delete = true` getmail
 * deletes them (checked with poplib). getmail's own verbose output is checked for what it did.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { startTestAppliance, seedAccounts, tempDir } from './helpers/appliance.ts';
import { python } from './helpers/python.ts';

const app = await startTestAppliance();
t.teardown(() => app.close());
await seedAccounts(app, 'example.test', ['alice']);
const cert = path.join(app.dataDir, 'tls', 'self-signed-cert.pem');

/** Bodies that a POP3 path can damage: dot-stuffed lines, a lone dot, a long base64 part, 8-bit text. */
const BODIES = [
  'line 1\r\n.starts with a dot\r\n..two dots\r\n.\r\nlast line\r\n',
  `${'x'.repeat(990)}\r\n${Array.from({ length: 300 }, (_, i) => `body line ${i + 1}`).join('\r\n')}\r\n`,
  'Grüße aus Köln, 日本語\r\n',
];

/** Sends each body over SMTP (smtplib) to alice with a numbered subject. */
async function deliver(tag: string): Promise<void> {
  const r = await python(`
import smtplib, sys, json
bodies = json.loads(sys.argv[2])
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=15)
for i, b in enumerate(bodies):
    msg = ('From: sender@example.org\\r\\nTo: alice@example.test\\r\\nSubject: ${tag} %d\\r\\nMessage-ID: <${tag}%d@example.org>\\r\\nMIME-Version: 1.0\\r\\nContent-Type: text/plain; charset=utf-8\\r\\nContent-Transfer-Encoding: 8bit\\r\\n\\r\\n' % (i, i)).encode() + b.encode('utf-8')
    s.sendmail('sender@example.org', ['alice@example.test'], msg)
s.quit()
`, [String(app.smtpPort), JSON.stringify(BODIES)]);
  if (r.code !== 0) throw new Error(`smtplib failed: ${r.stderr}`);
}

/** The subjects in alice's maildrop, over POP3S with poplib (certificate checked). */
async function onServer(): Promise<string[]> {
  const r = await python(`
import poplib, ssl, sys, json
p = poplib.POP3_SSL('localhost', int(sys.argv[1]), context=ssl.create_default_context(cafile=sys.argv[2]), timeout=15)
p.user('alice@example.test'); p.pass_('pw-alice')
out = []
for i in range(1, p.stat()[0] + 1):
    for l in p.top(i, 0)[1]:
        if l.startswith(b'Subject: '): out.append(l[9:].decode())
p.quit()
print(json.dumps(out))
`, [String(app.pop3sPort), cert]);
  if (r.code !== 0) throw new Error(`poplib failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

function getmail(name: string, del: boolean): Promise<{ code: number; out: string; maildir: string; rescued: number }> {
  const dir = tempDir(`getmail-${name}-`);
  const maildir = path.join(dir, 'Maildir');
  for (const sub of ['new', 'cur', 'tmp']) fs.mkdirSync(path.join(maildir, sub), { recursive: true });
  // getmail refuses to deliver as root: where the tests run as root it delivers as nobody
  const asRoot = process.getuid?.() === 0;
  if (asRoot) fs.chmodSync(dir, 0o755);
  if (asRoot) for (const sub of ['', 'new', 'cur', 'tmp']) fs.chownSync(path.join(maildir, sub), 65534, 65534);
  fs.writeFileSync(path.join(dir, 'getmailrc'), `[retriever]
type = SimplePOP3SSLRetriever
server = localhost
port = ${app.pop3sPort}
username = alice@example.test
password = pw-alice
ca_certs = ${cert}

[destination]
type = Maildir
path = ${maildir}/
${asRoot ? 'user = nobody\n' : ''}
[options]
verbose = 2
delete = ${del}
`);
  return new Promise((resolve) => {
    const child = execFile('getmail', ['--getmaildir', dir, '--rcfile', path.join(dir, 'getmailrc')], { env: { ...process.env, HOME: dir, PYTHONUNBUFFERED: '1' }, timeout: 30_000 },
      // unbuffered, so a run cut by the timeout still shows how far it got
      (err, stdout, stderr) => {
        clearInterval(watchdog);
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}${err?.killed ? '\n(killed at the timeout)' : ''}`, maildir, rescued });
      });
    // getmail 6.18 forks each Maildir delivery and installs its SIGCHLD handler only after the
    // fork: a child that exits first is never reaped and getmail waits out its 180 s timeout
    // (getmail6 issues #52, #226, #245). A delivery child left a zombie for a second is that
    // race; one more SIGCHLD lets getmail's handler reap it. Harmless otherwise: getmail reaps
    // its children at once, so no zombie lasts that long.
    let rescued = 0;
    let seen = new Set<number>();
    const watchdog = setInterval(() => {
      const zombies = new Set(zombieChildren(child.pid ?? -1));
      if ([...zombies].some((z) => seen.has(z))) {
        rescued++;
        child.kill('SIGCHLD');
      }
      seen = zombies;
    }, 500);
  });
}

/** Zombie children of a process (Linux /proc; none found elsewhere). */
function zombieChildren(parent: number): number[] {
  const out = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const e of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'latin1');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' && Number(ppid) === parent) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The Maildir's messages (new/), as getmail wrote them (LF line ends), by subject. */
function messages(maildir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(path.join(maildir, 'new'))) {
    const text = fs.readFileSync(path.join(maildir, 'new', f), 'utf8');
    out.set(/^Subject: (.*)$/m.exec(text)?.[1] ?? f, text);
  }
  return out;
}

const bodyOf = (text: string) => text.slice(text.search(/\r?\n\r?\n/)).replace(/^\r?\n\r?\n/, '');
const lf = (s: string) => s.replace(/\r\n/g, '\n');

t.test('getmail with delete = false: the messages arrive intact and stay on the server', async (t) => {
  await deliver('keep');
  const run = await getmail('keep', false);
  if (run.rescued) t.comment(`getmail's SIGCHLD race hit ${run.rescued} time(s), rescued`);
  t.equal(run.code, 0, 'getmail exit 0', { out: run.out });
  t.match(run.out, /SimplePOP3SSLRetriever:alice@example\.test@localhost:\d+/, 'getmail used the POP3-over-SSL retriever');
  t.match(run.out, /3 messages? \(\d+ bytes\) retrieved, 0 skipped/, 'getmail reports three retrieved');
  t.notMatch(run.out, /deleted/i, 'and nothing deleted');
  const got = messages(run.maildir);
  t.same([...got.keys()].sort(), ['keep 0', 'keep 1', 'keep 2']);
  BODIES.forEach((b, i) => t.equal(bodyOf(got.get(`keep ${i}`) ?? ''), lf(b), `body ${i} intact (dots, long lines, 8-bit)`));
  t.match(got.get('keep 0'), /^Received: from localhost \([^)]*\) by [^\n]* with POP3-SSL$/m, 'getmail says it fetched over POP3-SSL');
  t.match(got.get('keep 0'), /^Return-Path: <sender@example\.org>$/m, 'getmail took the envelope sender from the message');
  t.match(got.get('keep 0'), /^Received: from [^\n]*\n(\s[^\n]*\n)*\s*by mail\.test/m, 'the appliance\'s Received is there');
  t.same((await onServer()).sort(), ['keep 0', 'keep 1', 'keep 2'], 'still on the server');
});

t.test('getmail with delete = true: the messages arrive and are gone from the server', async (t) => {
  const run = await getmail('delete', true);
  if (run.rescued) t.comment(`getmail's SIGCHLD race hit ${run.rescued} time(s), rescued`);
  t.equal(run.code, 0, 'getmail exit 0', { out: run.out });
  t.match(run.out, /3 messages? \(\d+ bytes\) retrieved, 0 skipped/);
  t.match(run.out, /delivered to Maildir[\s\S]*deleted/i, 'getmail reports the deletions');
  const got = messages(run.maildir);
  t.same([...got.keys()].sort(), ['keep 0', 'keep 1', 'keep 2']);
  BODIES.forEach((b, i) => t.equal(bodyOf(got.get(`keep ${i}`) ?? ''), lf(b), `body ${i} intact`));
  t.same(await onServer(), [], 'deleted on the server');
  const again = await getmail('empty', true);
  t.equal(again.code, 0, 'getmail exit 0 on an empty maildrop', { out: again.out });
  t.match(again.out, /0 messages \(0 bytes\) retrieved, 0 skipped/);
});
