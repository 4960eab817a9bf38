/**
 * Advertising: AUTH is offered only where it can succeed. On the shipped
 * config EHLO on a plain connection lists no AUTH (Postfix smtpd_tls_auth_only), so Python's
 * smtplib never sends a password before STARTTLS; after STARTTLS it lists PLAIN LOGIN and no
 * CRAM-MD5. With CRAM-MD5 configured, a client that prefers it (smtplib's login(), mutt) falls
 * back to PLAIN at once: a CRAM-MD5 try for an account without a CRAM secret is not counted
 * as a failed guess, so the PLAIN login that follows is not delayed by the penalty.
 */
import path from 'node:path';
import t from 'tap';
import { loadConfig } from '../../core/config/load.ts';
import { startTestAppliance, seedAccounts, type TestAppliance } from '../helpers/appliance.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { python } from '../helpers/python.ts';
import { REPO_ROOT } from '../helpers/process.ts';

const shipped = (await loadConfig(path.join(REPO_ROOT, 'mailserver.config.ts'))).config;

async function start(auth: Record<string, unknown>): Promise<TestAppliance> {
  const app = await startTestAppliance({ smtp: { auth } });
  await seedAccounts(app, 'example.test', ['alice']);
  await seedAccounts(app, 'example.test', ['dave'], { apop: true, smtpAuth: true });
  return app;
}

const ehloLines = (reply: string) => reply.split('\r\n').filter(Boolean).map((l) => l.slice(4));

t.test('shipped config: no AUTH before STARTTLS, PLAIN LOGIN after, never CRAM-MD5', async (t) => {
  t.same(shipped.smtp.auth.methods, ['PLAIN', 'LOGIN'], 'the shipped methods');
  t.equal(shipped.smtp.auth.allowInsecure, false);
  const app = await start(shipped.smtp.auth);
  t.teardown(() => app.close());
  const c = await RawClient.connect(app.smtpPort);
  t.teardown(() => c.close());
  t.match(await c.reply(), /^220 /);
  const plain = ehloLines(await c.command('EHLO client.test'));
  t.ok(plain.includes('STARTTLS'), 'STARTTLS offered');
  t.notOk(plain.some((l) => /^AUTH\b/i.test(l)), `no AUTH on the plain connection: ${plain.join(' | ')}`);
  t.match(await c.command('STARTTLS'), /^220 /);
  await c.startTls();
  const secure = ehloLines(await c.command('EHLO client.test'));
  t.ok(secure.includes('AUTH PLAIN LOGIN'), `AUTH PLAIN LOGIN after STARTTLS: ${secure.join(' | ')}`);
  t.notOk(secure.some((l) => /CRAM-MD5/i.test(l)), 'no CRAM-MD5');

  // implicit TLS (465*) offers AUTH at once
  const s = await RawClient.connect(app.smtpsPort, { tls: true });
  t.teardown(() => s.close());
  await s.reply();
  t.ok(ehloLines(await s.command('EHLO client.test')).includes('AUTH PLAIN LOGIN'), 'AUTH on implicit TLS');
});

t.test('smtplib does not send the password on the plain connection, and logs in after STARTTLS', async (t) => {
  const app = await start(shipped.smtp.auth);
  t.teardown(() => app.close());
  const r = await python(`
import smtplib, ssl, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1])); s.ehlo('c.test')
try:
    s.login('alice@example.test', 'pw-alice'); print('sent-before-tls')
except smtplib.SMTPNotSupportedError:
    print('refused-locally')
except smtplib.SMTPException as e:
    print('server-refused', e)
s.starttls(context=ssl._create_unverified_context()); s.ehlo('c.test')
print(s.login('alice@example.test', 'pw-alice')[0])
`, [String(app.smtpPort)]);
  t.same(r.stdout.trim().split('\n'), ['refused-locally', '235'], r.stderr);
});

t.test('CRAM-MD5 when configured: APOP accounts use it, others fall back to PLAIN without a penalty', async (t) => {
  const app = await start({ methods: ['PLAIN', 'LOGIN', 'CRAM-MD5'] });
  t.teardown(() => app.close());
  const c = await RawClient.connect(app.smtpsPort, { tls: true });
  t.teardown(() => c.close());
  await c.reply();
  t.ok(ehloLines(await c.command('EHLO client.test')).includes('AUTH PLAIN LOGIN CRAM-MD5'), 'offered when listed');
  // smtplib's login() tries CRAM-MD5 first (as mutt does), then PLAIN; 12 logins in a row
  const r = await python(`
import smtplib, ssl, sys, time
for user in ['dave'] + ['alice'] * 12:
    s = smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[1]), context=ssl._create_unverified_context()); s.ehlo('c.test')
    t0 = time.time(); code = s.login(user + '@example.test', 'pw-' + user)[0]
    print(user, code, round((time.time() - t0) * 1000)); s.quit()
`, [String(app.smtpsPort)], { timeoutMs: 60_000 });
  const lines = r.stdout.trim().split('\n').map((l) => l.split(' '));
  t.equal(lines.length, 13, r.stderr);
  t.same(lines[0].slice(0, 2), ['dave', '235'], 'the APOP account logs in with CRAM-MD5');
  for (const [user, code, ms] of lines.slice(1)) {
    t.equal(code, '235', `${user}: CRAM-MD5 refused, PLAIN accepted`);
    // a counted CRAM-MD5 failure would hold the PLAIN try back by auth.penalty.initialDelayMs (2 s)
    t.ok(Number(ms) < 1500, `without a penalty (${ms} ms)`);
  }
});
