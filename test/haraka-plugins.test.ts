/**
 * Published Haraka plugins (haraka-plugin-access, haraka-plugin-headers) running unmodified
 * behind the SMTP listener, with the example Haraka config dir haraka/config: their
 * rejections arrive as the right SMTP replies to a real client (smtplib).
 */
import t from 'tap';
import path from 'node:path';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { python } from './helpers/python.ts';

let app: TestAppliance;
t.before(async () => {
  app = await startTestAppliance({
    haraka: { configDir: path.resolve('haraka/config'), plugins: ['access', 'headers'] },
    plugins: [{ name: 'accept-log' }],
  });
  await seedAccounts(app, 'example.test', ['alice']);
});
t.teardown(() => app.close());

const SEND = `
import smtplib, sys, json
port, frm, rcpt = sys.argv[1:4]
body = sys.stdin.read()
s = smtplib.SMTP('127.0.0.1', int(port)); s.ehlo('client.test')
def step(f):
    try:
        code, msg = f()
        return [code, msg.decode()]
    except smtplib.SMTPResponseException as e:
        return [e.smtp_code, e.smtp_error.decode()]
out = {'mail': step(lambda: s.mail(frm))}
if out['mail'][0] == 250:
    out['rcpt'] = step(lambda: s.rcpt(rcpt))
    if out['rcpt'][0] == 250:
        out['data'] = step(lambda: s.data(body.encode()))
print(json.dumps(out))
`;

async function send(from: string, rcpt: string, body: string) {
  const r = await python(SEND, [String(app.smtpPort), from, rcpt], { input: body });
  if (!r.stdout) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<'mail' | 'rcpt' | 'data', [number, string]>;
}

const GOOD = 'From: bob@client.test\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nSubject: ok\r\n\r\nhello\r\n';

t.test('a clean message passes both plugins', async (t) => {
  const r = await send('bob@client.test', 'alice@example.test', GOOD);
  t.equal(r.data?.[0], 250, JSON.stringify(r));
  t.equal((await inbox(app, 'alice@example.test')).length, 1);
});

t.test('access: blacklisted sender regex is refused at MAIL FROM with its configured text', async (t) => {
  const r = await send('x@spammer.example.com', 'alice@example.test', GOOD);
  t.equal(r.mail[0], 550, JSON.stringify(r));
  t.match(r.mail[1], /That sender cannot send mail here/);
});

t.test('access: a blocked domain is refused', async (t) => {
  const r = await send('x@badcorp.com', 'alice@example.test', GOOD);
  t.ok(r.mail[0] >= 500 || (r.rcpt?.[0] ?? 0) >= 500, JSON.stringify(r));
});

t.test('headers: a message without the required Date header is refused after DATA', async (t) => {
  const r = await send('bob@client.test', 'alice@example.test', 'From: bob@client.test\r\nSubject: no date\r\n\r\nx\r\n');
  t.equal(r.data?.[0], 550, JSON.stringify(r));
  t.match(r.data?.[1], /Date/);
});

t.test('headers: duplicate singular headers are refused', async (t) => {
  const r = await send('bob@client.test', 'alice@example.test', 'From: a@client.test\r\nFrom: b@client.test\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nx\r\n');
  t.equal(r.data?.[0], 550, JSON.stringify(r));
  t.match(r.data?.[1], /From/);
  t.equal((await inbox(app, 'alice@example.test')).length, 1, 'nothing more was stored');
});

t.test('the accept-log plugin recorded every MAIL FROM with the client IP', async (t) => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const log = fs.readFileSync(path.join(app.dataDir, 'logs', os.hostname(), 'accept.log'), 'utf8');
  t.match(log, /\t127\.0\.0\.1\t[0-9a-z]+\t1\t<bob@client\.test>\t[0-9A-F]{12}\n/);
});
