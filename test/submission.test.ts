/**
 * The message submission listeners (RFC 6409, `submission.listen`) over real sockets with
 * Python's smtplib and swaks, each with its default settings (no mechanism chosen by hand) and
 * the appliance's self-signed certificate trusted as a user would (its file as the CA):
 * STARTTLS offered, AUTH only after it, MAIL before AUTH `530 5.7.0`, the sender owned by the
 * login (`553 5.7.1`, even with smtp.senderLoginMatch off), relay once authenticated (with
 * relay-effect's shipped options), the implicit-TLS listener (RFC 8314) likewise, and the plain
 * SMTP listener left as it was.
 */
import t from 'tap';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { python } from './helpers/python.ts';
import { waitFor } from './helpers/sink.ts';
import type { UserConfig } from '../core/config/schema.ts';

/** relay-effect as mailserver.config.ts ships it. */
const SHIPPED_RELAY = { name: 'relay-effect', options: { rules: [], localSenderRelay: false, authLevel: 'optional', senderTrust: 'auth-id' } };

async function start(t: { teardown(fn: () => unknown): void }, extra: UserConfig = {}): Promise<TestAppliance & { cert: string }> {
  const app = await startTestAppliance({ plugins: [SHIPPED_RELAY], ...extra });
  t.teardown(() => app.close());
  await seedAccounts(app, 'example.test', ['alice', 'bob']);
  await app.store.aliases.add({ alias: 'info@example.test', target: 'alice@example.test', rewrite: null });
  return Object.assign(app, { cert: path.join(app.dataDir, 'tls', 'self-signed-cert.pem') });
}

const SMTPLIB = `
import smtplib, ssl, sys, json
port, cafile, implicit = int(sys.argv[1]), sys.argv[2], sys.argv[3] == '1'
ctx = ssl.create_default_context(cafile=cafile)
out = {}
def code(r): return [r[0], r[1].decode()]
def send(s, sender, rcpts, subject):
    msg = ('From: %s\\r\\nTo: %s\\r\\nSubject: %s\\r\\n\\r\\nbody of %s\\r\\n' % (sender, rcpts[0], subject, subject)).encode()
    try:
        return ['ok', s.sendmail(sender, rcpts, msg)]
    except smtplib.SMTPSenderRefused as e:
        return ['sender-refused', e.smtp_code, e.smtp_error.decode()]
    except smtplib.SMTPRecipientsRefused as e:
        return ['recipients-refused', {k: [v[0], v[1].decode()] for k, v in e.recipients.items()}]
if implicit:
    s = smtplib.SMTP_SSL('127.0.0.1', port, context=ctx)
    s.ehlo('client.test')
else:
    s = smtplib.SMTP('127.0.0.1', port)
    s.ehlo('client.test')
    out['plainFeatures'] = sorted(s.esmtp_features.keys())
    out['plainMail'] = code(s.docmd('MAIL FROM:<alice@example.test>'))
    s.rset()
    s.starttls(context=ctx)
    s.ehlo('client.test')
out['tlsFeatures'] = sorted(s.esmtp_features.keys())
out['auth'] = s.esmtp_features.get('auth', '')
out['tlsMail'] = code(s.docmd('MAIL FROM:<alice@example.test>'))
s.rset()
out['login'] = code(s.login('alice@example.test', 'pw-alice'))
out['own'] = send(s, 'alice@example.test', ['bob@example.test', 'someone@remote.test'], 'own sender')
out['alias'] = send(s, 'info@example.test', ['bob@example.test'], 'alias sender')
out['other'] = send(s, 'bob@example.test', ['bob@example.test'], 'other account')
out['stranger'] = send(s, 'ceo@remote.test', ['bob@example.test'], 'stranger')
s.quit()
print(json.dumps(out))
`;

async function smtplib(app: TestAppliance & { cert: string }, port: number, implicit: boolean): Promise<Record<string, unknown>> {
  const r = await python(SMTPLIB, [String(port), app.cert, implicit ? '1' : '0'], { timeoutMs: 30_000 });
  if (r.code !== 0 || !r.stdout.trim()) throw new Error(`smtplib failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const subjects = async (app: TestAppliance, who: string) => (await inbox(app, who)).map((m) => /^Subject: (.*)$/m.exec(m.content)?.[1]);

t.test('smtplib on the STARTTLS submission listener', async (t) => {
  const app = await start(t);
  const out = await smtplib(app, app.submissionPort, false);
  t.ok((out.plainFeatures as string[]).includes('starttls'), 'STARTTLS offered');
  t.notOk((out.plainFeatures as string[]).includes('auth'), 'no AUTH before TLS (smtp.auth.allowInsecure off)');
  t.same(out.plainMail, [530, '5.7.0 Authentication required'], 'MAIL before AUTH, RFC 4954 §6');
  t.ok((out.tlsFeatures as string[]).includes('auth'), 'AUTH offered after STARTTLS');
  t.match(out.auth, /PLAIN/);
  t.same(out.tlsMail, [530, '5.7.0 Authentication required'], 'TLS alone is not enough');
  t.equal((out.login as [number])[0], 235);
  t.same(out.own, ['ok', {}], 'own address: local and remote recipient accepted (relay once authenticated)');
  t.same(out.alias, ['ok', {}], 'an alias of the account');
  t.match(out.other, ['sender-refused', 553, /^5\.7\.1 <bob@example\.test>: Sender address rejected: not owned by user alice@example\.test/]);
  t.match(out.stranger, ['sender-refused', 553, /^5\.7\.1 <ceo@remote\.test>/]);
  t.same((await subjects(app, 'bob@example.test')).sort(), ['alias sender', 'own sender'], 'only the two accepted messages arrived');
  const queued = await waitFor('the relayed copy in the queue', async () => (await app.store.queue.list()).find((e) => e.recipients.some((r) => r.recipient === 'someone@remote.test')));
  t.equal(queued.mailFrom, 'alice@example.test', 'queued for the remote recipient with the login as sender');
});

t.test('smtplib on the implicit-TLS submission listener (RFC 8314)', async (t) => {
  const app = await start(t);
  const out = await smtplib(app, app.submissionsPort, true);
  t.ok((out.tlsFeatures as string[]).includes('auth'), 'AUTH offered at once on TLS');
  t.notOk((out.tlsFeatures as string[]).includes('starttls'), 'no STARTTLS on TLS');
  t.same(out.tlsMail, [530, '5.7.0 Authentication required']);
  t.same(out.own, ['ok', {}]);
  t.match(out.other, ['sender-refused', 553]);
  t.same((await subjects(app, 'bob@example.test')).sort(), ['alias sender', 'own sender']);
});

t.test('the plain SMTP listener does not require AUTH; smtp.senderLoginMatch off does not lift the submission rule', async (t) => {
  const app = await start(t, { smtp: { senderLoginMatch: false } });
  const r = await python(`
import smtplib, ssl, sys, json
ctx = ssl.create_default_context(cafile=sys.argv[3])
out = {}
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1])); s.ehlo('client.test')
out['anon'] = s.docmd('MAIL FROM:<someone@remote.test>')[0]; s.rset()
s.starttls(context=ctx); s.ehlo('client.test'); s.login('alice@example.test', 'pw-alice')
out['smtpOther'] = s.docmd('MAIL FROM:<bob@example.test>')[0]; s.quit()
s = smtplib.SMTP('127.0.0.1', int(sys.argv[2])); s.starttls(context=ctx); s.ehlo('client.test'); s.login('alice@example.test', 'pw-alice')
out['submissionOther'] = s.docmd('MAIL FROM:<bob@example.test>')[0]; s.quit()
print(json.dumps(out))
`, [String(app.smtpPort), String(app.submissionPort), app.cert]);
  t.same(JSON.parse(r.stdout || '{}'), { anon: 250, smtpOther: 250, submissionOther: 553 }, r.stderr);
});

function swaks(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('swaks', args, { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

t.test('swaks submits over STARTTLS with the certificate checked; without AUTH it gets 530', async (t) => {
  const app = await start(t);
  const common = ['--server', '127.0.0.1', '--port', String(app.submissionPort), '--tls', '--tls-verify', '--tls-ca-path', app.cert,
    '--from', 'alice@example.test', '--to', 'bob@example.test'];
  const ok = await swaks([...common, '--auth-user', 'alice@example.test', '--auth-password', 'pw-alice', '--header', 'Subject: swaks submission']);
  t.equal(ok.code, 0, ok.out);
  t.match(ok.out, /-> STARTTLS\s*\n<- +220 /, 'STARTTLS negotiated');
  t.match(ok.out, /~> AUTH [A-Z-]+[\s\S]*<~ +235 /, 'authenticated with the mechanism swaks picked');
  t.match(ok.out, /~> \.\s*\n<~ +250 2\.6\.0 Ok: queued as /, 'message accepted');
  t.same(await subjects(app, 'bob@example.test'), ['swaks submission'], 'and delivered');

  const anon = await swaks([...common, '--header', 'Subject: anonymous']);
  t.not(anon.code, 0, 'swaks reports the failure');
  t.match(anon.out, /~> MAIL FROM:<alice@example\.test>\s*\n\s*<~\* 530 5\.7\.0 Authentication required/);
  const wrong = await swaks([...common, '--from', 'bob@example.test', '--auth-user', 'alice@example.test', '--auth-password', 'pw-alice']);
  t.match(wrong.out, /<~\* 553 5\.7\.1 <bob@example\.test>: Sender address rejected/);
  t.same(await subjects(app, 'bob@example.test'), ['swaks submission'], 'nothing else arrived');
});
