/**
 * What a new user does, end to end: start the appliance with the CLI, add a domain and an
 * account with the CLI while it runs, send with Python's smtplib (without AUTH, and with AUTH
 * after STARTTLS), read the mail back with poplib and with fetchmail.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { freePorts, spawnAppliance, writeConfig, type ApplianceProcess } from './helpers/process.ts';
import { runCli, tempDir } from './helpers/cli.ts';
import { python } from './helpers/python.ts';

let dir: string;
let data: string;
let ports: number[];
let app: ApplianceProcess;

t.before(async () => {
  dir = tempDir(t);
  data = path.join(dir, 'data');
  ports = await freePorts(4);
  const config = writeConfig(dir, { smtpPort: ports[0], smtpsPort: ports[1], pop3Port: ports[2], pop3sPort: ports[3], hostname: 'mail.example.test' });
  app = spawnAppliance(config, data);
  await app.waitForLog('ready');
});
t.teardown(async () => {
  await app.stop();
});

const cli = (...args: string[]) => runCli([...args, '--data', data]);

t.test('domain and account added with the CLI while the appliance runs', async (t) => {
  t.equal((await cli('domain', 'add', 'example.test')).code, 0);
  const add = await runCli(['account', 'add', 'alice@example.test', '--password', '-', '--name', 'Alice Liddell', '--data', data], { input: 'wonder land\n' });
  t.equal(add.code, 0, add.stderr);
  t.match((await cli('account', 'list')).stdout, /alice@example\.test\s+Alice Liddell/);
});

const SEND = `
import smtplib, ssl, sys
port, mode = int(sys.argv[1]), sys.argv[2]
s = smtplib.SMTP('127.0.0.1', port)
s.ehlo('laptop.example.net')
if mode == 'auth':
    s.starttls(context=ssl._create_unverified_context()); s.ehlo('laptop.example.net')
    s.login('alice@example.test', 'wonder land')
    frm, subject = 'alice@example.test', 'note to self'
else:
    frm, subject = 'friend@example.net', 'hello from a friend'
msg = f'From: <{frm}>\\r\\nTo: <alice@example.test>\\r\\nSubject: {subject}\\r\\n\\r\\n{subject}, body.\\r\\n'
print(s.sendmail(frm, ['alice@example.test'], msg))
s.quit()
`;

t.test('smtplib sends with and without AUTH', async (t) => {
  // the listener sees directory changes within a second
  await new Promise((r) => setTimeout(r, 1100));
  const plain = await python(SEND, [String(ports[0]), 'plain']);
  t.equal(plain.stdout.trim(), '{}', plain.stderr);
  const auth = await python(SEND, [String(ports[0]), 'auth']);
  t.equal(auth.stdout.trim(), '{}', auth.stderr);
});

t.test('poplib reads both messages over STLS', async (t) => {
  const r = await python(`
import poplib, ssl, sys
p = poplib.POP3('127.0.0.1', int(sys.argv[1]))
p.stls(ssl._create_unverified_context())
p.user('alice@example.test'); p.pass_('wonder land')
count, size = p.stat()
print(count)
for i in range(1, count + 1):
    print(b'\\n'.join(p.retr(i)[1]).decode())
p.quit()`, [String(ports[2])]);
  const [count, ...rest] = r.stdout.split('\n');
  t.equal(count, '2', r.stderr);
  const text = rest.join('\n');
  t.match(text, /Subject: hello from a friend/);
  t.match(text, /Subject: note to self/);
  t.match(text, /Received: from laptop\.example\.net \(unknown \[127\.0\.0\.1\]\)\n\tby mail\.example\.test \(mailserver\) with ESMTPSA/, 'authenticated TLS submission is recorded as ESMTPSA');
});

t.test('fetchmail fetches over implicit TLS and the mailbox is then empty', async (t) => {
  const home = path.join(dir, 'fetchmail');
  fs.mkdirSync(home);
  const mbox = path.join(home, 'mbox');
  const rc = path.join(home, 'fetchmailrc');
  fs.writeFileSync(rc, `set no syslog
poll 127.0.0.1 with proto pop3 port ${ports[3]} timeout 10
  user "alice@example.test" there with password "wonder land" is "alice" here
  ssl
  no sslcertck
  mda "cat >> ${mbox}"
`, { mode: 0o600 });
  const out = await new Promise<{ code: number; text: string }>((resolve) => execFile('fetchmail', ['-f', rc, '-d0', '--nosyslog', '--idfile', path.join(home, 'ids')],
    { env: { ...process.env, HOME: home, FETCHMAILHOME: home }, timeout: 20_000 },
    (err, so, se) => resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, text: so + se })));
  t.equal(out.code, 0, out.text);
  const got = fs.readFileSync(mbox, 'latin1');
  t.match(got, /Subject: hello from a friend[\s\S]*Subject: note to self|Subject: note to self[\s\S]*Subject: hello from a friend/);
  const stat = await python(`
import poplib, ssl, sys
p = poplib.POP3_SSL('127.0.0.1', int(sys.argv[1]), context=ssl._create_unverified_context())
p.user('alice@example.test'); p.pass_('wonder land'); print(p.stat()[0]); p.quit()`, [String(ports[3])]);
  t.equal(stat.stdout.trim(), '0', 'fetchmail deleted what it fetched');
});

t.test('the appliance shuts down cleanly on SIGTERM', async (t) => {
  await app.stop();
  const exit = await app.exited;
  t.equal(exit.code, 0, app.output());
});
