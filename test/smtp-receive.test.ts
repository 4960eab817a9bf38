/**
 * SMTP receive over real sockets with Python's smtplib and swaks: local delivery, AUTH,
 * relay refusal, aliases, limits and the trace headers.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { python } from './helpers/python.ts';
import { smtpSteps } from './helpers/smtp-script.ts';

let app: TestAppliance;
t.before(async () => {
  app = await startTestAppliance({ smtp: { maxRecipients: 3, maxMessageSize: 200_000, auth: { methods: ['PLAIN', 'LOGIN', 'CRAM-MD5'] } } });
  await seedAccounts(app, 'example.test', ['alice', 'bob', 'carol']);
  await seedAccounts(app, 'example.test', ['dave'], { apop: true, smtpAuth: true });
  await seedAccounts(app, 'example.test', ['tiny'], { quota: 3000 });
  await app.store.aliases.add({ alias: 'info@example.test', target: 'bob@example.test', rewrite: null });
  await app.store.domains.create({ name: 'other.test' });
  await app.store.aliases.add({ alias: '*@other.test', target: '*@example.test', rewrite: true });
});
t.teardown(() => app.close());

/** Sends with smtplib; prints the outcome as JSON. */
const SEND = `
import smtplib, ssl, sys, json
port, mode, user, pw, frm, rcpts, body = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6].split(','), sys.stdin.read()
ctx = ssl._create_unverified_context()
try:
    s = smtplib.SMTP_SSL('127.0.0.1', int(port), context=ctx) if mode == 'ssl' else smtplib.SMTP('127.0.0.1', int(port))
    s.ehlo('client.test')
    if mode == 'starttls':
        s.starttls(context=ctx); s.ehlo('client.test')
    if user:
        s.login(user, pw)
    refused = s.sendmail(frm, rcpts, body.encode())
    print(json.dumps({'ok': True, 'refused': {k: [v[0], v[1].decode()] for k, v in refused.items()}}))
    s.quit()
except smtplib.SMTPResponseException as e:
    print(json.dumps({'ok': False, 'code': e.smtp_code, 'msg': e.smtp_error.decode()}))
except smtplib.SMTPRecipientsRefused as e:
    print(json.dumps({'ok': False, 'refused': {k: [v[0], v[1].decode()] for k, v in e.recipients.items()}}))
except smtplib.SMTPNotSupportedError as e:
    print(json.dumps({'ok': False, 'notsupported': str(e)}))
`;

async function send(opts: { port?: number; mode?: 'plain' | 'starttls' | 'ssl'; user?: string; pw?: string; from?: string; to: string[]; body?: string }) {
  const body = opts.body ?? `From: a@client.test\r\nTo: ${opts.to[0]}\r\nSubject: hello\r\n\r\nHello there.\r\n`;
  const r = await python(SEND, [String(opts.port ?? app.smtpPort), opts.mode ?? 'plain', opts.user ?? '', opts.pw ?? '', opts.from ?? 'a@client.test', opts.to.join(',')], { input: body });
  if (!r.stdout.trim()) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { ok: boolean; code?: number; msg?: string; refused?: Record<string, [number, string]>; notsupported?: string };
}

t.test('unauthenticated mail to a local account is delivered with trace headers', async (t) => {
  const r = await send({ to: ['alice@example.test'] });
  t.ok(r.ok, JSON.stringify(r));
  const msgs = await inbox(app, 'alice@example.test');
  t.equal(msgs.length, 1);
  t.match(msgs[0].content, /^Return-Path: <a@client\.test>\r\nReceived: from client\.test \(unknown \[127\.0\.0\.1\]\)\r\n\tby mail\.test/);
  t.match(msgs[0].content, /with ESMTP id [0-9A-F]+\r\n\tfor <alice@example\.test>; \w{3}, \d{1,2} \w{3} \d{4}/);
  t.match(msgs[0].content, /\r\n\r\nHello there\.\r\n$/);
});

t.test('unknown local user is refused with 550 5.1.1', async (t) => {
  const r = await send({ to: ['nobody@example.test'] });
  t.equal(r.ok, false);
  t.same(Object.values(r.refused ?? {})[0]?.[0], 550);
  t.match(Object.values(r.refused ?? {})[0]?.[1], /5\.1\.1/);
});

t.test('postmaster is accepted without being created (RFC 5321 §4.5.1; DO-2 is smtp.postmasterOnlyWhenCreated)', async (t) => {
  const r = await send({ to: ['postmaster@example.test'] });
  t.ok(r.ok && !Object.keys(r.refused ?? {}).length, `accepted for the domain's first account: ${JSON.stringify(r)}`);
  await seedAccounts(app, 'example.test', ['postmaster']);
  await new Promise((r) => setTimeout(r, 1100)); // the listener's directory snapshot lives 1 s
  t.ok((await send({ to: ['postmaster@example.test'] })).ok, 'accepted once the account exists');
  t.equal((await inbox(app, 'postmaster@example.test')).length, 1, 'and then the account gets it');
});

t.test('relaying is refused without AUTH and allowed with it', async (t) => {
  const denied = await send({ to: ['someone@remote.test'] });
  t.equal(denied.ok, false);
  t.match(JSON.stringify(denied.refused), /554.*5\.7\.1 Relay access denied/);
  const ok = await send({ mode: 'starttls', user: 'alice@example.test', pw: 'pw-alice', from: 'alice@example.test', to: ['someone@remote.test'] });
  t.ok(ok.ok, JSON.stringify(ok));
});

t.test('AUTH needs TLS; bad passwords get 535 5.7.8; login forms', async (t) => {
  const clear = await send({ user: 'alice@example.test', pw: 'pw-alice', to: ['bob@example.test'] });
  t.equal(clear.ok, false, 'PLAIN refused on a cleartext session');
  const bad = await send({ mode: 'starttls', user: 'alice@example.test', pw: 'wrong', to: ['bob@example.test'] });
  t.equal(bad.code, 535);
  t.match(bad.msg, /5\.7\.8/);
  const percent = await send({ mode: 'ssl', port: app.smtpsPort, user: 'alice%example.test', pw: 'pw-alice', from: 'alice@example.test', to: ['bob@example.test'] });
  t.ok(percent.ok, 'account%domain over implicit TLS');
  const bare = await send({ mode: 'starttls', user: 'alice', pw: 'pw-alice', from: 'alice@example.test', to: ['bob@example.test'] });
  t.ok(bare.ok, 'bare account name');
});

t.test('CRAM-MD5 (when configured) only for accounts flagged SMTP-AUTH&APOP', async (t) => {
  const script = `
import smtplib, ssl, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1])); s.ehlo('c.test'); s.starttls(context=ssl._create_unverified_context()); s.ehlo('c.test')
s.user, s.password = sys.argv[2], sys.argv[3]
code, resp = s.auth('CRAM-MD5', s.auth_cram_md5, initial_response_ok=False) if False else (None, None)
try:
    print(s.auth('CRAM-MD5', s.auth_cram_md5)[0])
except smtplib.SMTPAuthenticationError as e:
    print(e.smtp_code)
`;
  const ok = await python(script, [String(app.smtpPort), 'dave@example.test', 'pw-dave']);
  t.equal(ok.stdout.trim(), '235', ok.stderr);
  const no = await python(script, [String(app.smtpPort), 'alice@example.test', 'pw-alice']);
  t.equal(no.stdout.trim(), '535');
});

t.test('aliases: exact alias and wildcard domain alias', async (t) => {
  t.ok((await send({ to: ['info@example.test'] })).ok);
  t.equal((await inbox(app, 'bob@example.test')).filter((m) => m.content.includes('for <info@example.test>')).length, 1);
  t.ok((await send({ to: ['carol@other.test'] })).ok);
  t.equal((await inbox(app, 'carol@example.test')).length, 1);
});

t.test('limits: recipients, size, quota', async (t) => {
  const many = await send({ to: ['alice@example.test', 'bob@example.test', 'carol@example.test', 'dave@example.test'] });
  t.ok(many.ok, 'three accepted');
  t.match(JSON.stringify(many.refused), /452/);
  const big = await send({ to: ['alice@example.test'], body: 'Subject: big\r\n\r\n' + 'x'.repeat(998) .concat('\r\n').repeat(250) });
  t.equal(big.code, 552);
  const first = await send({ to: ['tiny@example.test'], body: 'Subject: q\r\n\r\n' + 'y'.repeat(900) + '\r\n' });
  t.ok(first.ok);
  const over = await send({ to: ['tiny@example.test'], body: 'Subject: q\r\n\r\n' + 'y'.repeat(900).concat('\r\n').repeat(3) });
  // smtplib declares SIZE (RFC 1870), so the refusal comes at RCPT already
  t.match(JSON.stringify(over.refused), /552.*5\.2\.2/, 'a message that would exceed the quota');
  // without SIZE the size is known only at the end of DATA: refused there, the mailbox unchanged
  const before = (await inbox(app, 'tiny@example.test')).length;
  const steps = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<x@client.test>'], ['cmd', 'RCPT TO:<tiny@example.test>'],
    ['data', 'Subject: q\r\n\r\n' + 'y'.repeat(900).concat('\r\n').repeat(3)], ['rset'], ['cmd', 'MAIL FROM:<x@client.test>'],
    ['cmd', 'RCPT TO:<tiny@example.test>'], ['data', 'Subject: small\r\n\r\nz\r\n']]);
  t.equal(steps[1][0], 250, 'RCPT accepted: nothing declared');
  t.match(steps[2], [552, /5\.2\.2/], 'refused at the end of DATA: over the quota');
  t.equal(steps[6][0], 250, 'a message that fits is still accepted');
  t.equal((await inbox(app, 'tiny@example.test')).length, before + 1, 'only the one that fits was stored');
});

t.test('swaks delivers, and VRFY answers', async (t) => {
  const out = await new Promise<string>((resolve) => execFile('swaks', ['--server', '127.0.0.1', '--port', String(app.smtpPort),
    '--from', 'x@client.test', '--to', 'carol@example.test', '--helo', 'swaks.test', '--body', 'via swaks'], (_e, so, se) => resolve(so + se)));
  t.match(out, /250 2\.6\.0 Ok: queued as/);
  t.ok((await inbox(app, 'carol@example.test')).some((m) => m.content.includes('via swaks')));
  const v = await python(`
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1])); s.ehlo('c.test')
print(s.verify('alice@example.test')); print(s.verify('ghost@example.test')); print(s.verify('x@remote.test'))`, [String(app.smtpPort)]);
  const lines = v.stdout.trim().split('\n');
  t.match(lines[0], /^\(250, b'2\.1\.5 <alice@example\.test>'\)/);
  t.match(lines[1], /^\(550/);
  t.match(lines[2], /^\(252/);
});
