/**
 * SMTPUTF8 (RFC 6531) on the receiving side, with Python's smtplib against a real appliance:
 * EHLO lists SMTPUTF8 on the MX and the submission listeners; a UTF-8 address (an account
 * alias jöran@local.test, an alias 用户@例え.test at an IDN domain) is taken only in a transaction whose MAIL FROM has
 * the SMTPUTF8 parameter, 553 5.6.7 otherwise (§3.5), for the sender and for a recipient; the
 * message is delivered to the mailbox with its UTF-8 header bytes as sent.
 */
import t from 'tap';
import { inbox, seedAccounts, startTestAppliance, type TestAppliance } from './helpers/appliance.ts';
import { python } from './helpers/python.ts';

let app: TestAppliance;
t.before(async () => {
  app = await startTestAppliance({ smtp: { auth: { allowInsecure: true } }, delivery: { enabled: false } });
  // account names are ASCII (the store's rule); UTF-8 addresses are aliases of bob
  await seedAccounts(app, 'local.test', ['bob']);
  await app.store.aliases.add({ alias: 'jöran@local.test', target: 'bob@local.test', rewrite: null });
  // a hosted IDN domain is stored as its A-label; 例え.test is xn--r8jz45g.test
  await app.store.domains.create({ name: 'xn--r8jz45g.test' });
  await app.store.aliases.add({ alias: '用户@xn--r8jz45g.test', target: 'bob@local.test', rewrite: null });
});
t.teardown(() => app.close());

const EHLO = `
import smtplib, sys, json
out = {}
for port in sys.argv[1:]:
    s = smtplib.SMTP('127.0.0.1', int(port))
    s.ehlo('client.test')
    out[port] = s.has_extn('smtputf8')
    s.quit()
print(json.dumps(out))
`;

t.test('EHLO advertises SMTPUTF8 on the MX and the submission listeners', async (t) => {
  const r = await python(EHLO, [String(app.smtpPort), String(app.submissionPort)]);
  t.equal(r.code, 0, r.stderr);
  t.same(JSON.parse(r.stdout), { [app.smtpPort]: true, [app.submissionPort]: true });
});

const SEND = `
import smtplib, sys, json
port, frm, rcpt, utf8 = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == '1'
body = sys.stdin.buffer.read()
s = smtplib.SMTP('127.0.0.1', port)
s.ehlo('client.test')
try:
    refused = s.sendmail(frm, [rcpt], body, mail_options=['SMTPUTF8'] if utf8 else [])
    out = {'ok': True, 'refused': {k: [v[0], v[1].decode()] for k, v in refused.items()}}
except smtplib.SMTPSenderRefused as e:
    out = {'ok': False, 'stage': 'mail', 'code': e.smtp_code, 'text': e.smtp_error.decode()}
except smtplib.SMTPRecipientsRefused as e:
    out = {'ok': False, 'stage': 'rcpt', 'code': list(e.recipients.values())[0][0], 'text': list(e.recipients.values())[0][1].decode()}
except UnicodeEncodeError as e:
    out = {'ok': False, 'stage': 'client', 'text': str(e)}
s.quit()
print(json.dumps(out))
`;

/** smtplib sends a non-ASCII address only with SMTPUTF8; without it, docmd sends the UTF-8 bytes itself. */
const RAW = `
import smtplib, sys, json
port, frm, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = smtplib.SMTP('127.0.0.1', port)
s.ehlo('client.test')
def cmd(line):
    s.send(line.encode('utf-8') + b'\\r\\n')
    c, m = s.getreply()
    return [c, m.decode('utf-8')]
out = {'mail': cmd('MAIL FROM:<%s>' % frm), 'rcpt': cmd('RCPT TO:<%s>' % rcpt)}
s.quit()
print(json.dumps(out))
`;

const message = (subject: string) => Buffer.from(
  `From: Jöran <jöran@local.test>\r\nTo: 用户 <用户@例え.test>\r\nSubject: ${subject}\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@client.test>\r\n`
  + 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße, 世界\r\n', 'utf8');

t.test('a UTF-8 sender or recipient without SMTPUTF8: 553 5.6.7', async (t) => {
  const sender = await python(RAW, [String(app.smtpPort), 'jöran@local.test', 'bob@local.test']);
  t.equal(sender.code, 0, sender.stderr);
  t.match(JSON.parse(sender.stdout).mail, [553, /^5\.6\.7 /], 'a UTF-8 reverse-path without SMTPUTF8');
  const rcpt = await python(RAW, [String(app.smtpPort), 'bob@local.test', '用户@例え.test']);
  t.equal(rcpt.code, 0, rcpt.stderr);
  const out = JSON.parse(rcpt.stdout);
  t.match(out.mail, [250]);
  t.match(out.rcpt, [553, /^5\.6\.7 /], 'a UTF-8 forward-path in a transaction without SMTPUTF8');
  t.equal((await inbox(app, 'bob@local.test')).length, 0, 'nothing delivered');
});

t.test('with SMTPUTF8: UTF-8 local part and IDN domain delivered, header bytes intact', async (t) => {
  for (const [from, to, subject] of [['jöran@local.test', '用户@例え.test', 'Grüße aus Köln 日本語'], ['bob@local.test', 'jöran@local.test', 'Hej Jöran']]) {
    const body = message(subject);
    const r = await python(SEND, [String(app.smtpPort), from, to, '1'], { input: body.toString('utf8') });
    t.equal(r.code, 0, r.stderr);
    t.same(JSON.parse(r.stdout), { ok: true, refused: {} }, `${from} -> ${to} accepted`);
    const owner = 'bob@local.test';
    const acct = await app.store.accounts.get(owner);
    const box = await app.store.mail.mailbox(acct!.id, 'INBOX');
    const msgs = await app.store.mail.messages(box!.id);
    const raw = await app.store.mail.read(msgs[msgs.length - 1].blobId);
    t.ok(raw.includes(body), `the message bytes are stored as sent, after the trace headers (${owner})`);
    t.ok(raw.includes(Buffer.from(`Return-Path: <${from}>\r\n`, 'utf8')), 'Return-Path in UTF-8');
    t.ok(raw.includes(Buffer.from(`Subject: ${subject}\r\n`, 'utf8')), 'the UTF-8 Subject, unencoded');
  }
});
