/**
 * RX-4 AUTH security levels and the failed-AUTH penalty, RX-6 sender trust, AC-4 usage hours
 * and AC-5 allowed recipients — over real SMTP with smtplib from several source addresses.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, type TestAppliance } from './helpers/appliance.ts';
import { smtpSteps, type Step } from './helpers/smtp-script.ts';
import { python } from './helpers/python.ts';
import type { UserConfig } from '../core/config/schema.ts';

async function start(options: Record<string, unknown>, extra: UserConfig = {}): Promise<TestAppliance> {
  const app = await startTestAppliance({
    ...extra,
    delivery: { enabled: false },
    plugins: [{ name: 'relay-effect', options }],
  });
  await seedAccounts(app, 'example.test', ['alice', 'bob']);
  await seedAccounts(app, 'example.test', ['dave'], { smtpAuth: true });
  return app;
}

const login = (user: string): Step[] => [['starttls'], ['login', `${user}@example.test`, `pw-${user}`]];
const codes = (r: [number, string][]) => r.map(([c]) => c);

t.test('RX-4 level 2 (required): every session authenticates, norelay,2 sources excepted', async (t) => {
  const app = await start({ authLevel: 'required', rules: [{ match: '127.0.0.2', action: 'norelay,2' }] });
  t.teardown(() => app.close());
  const anon = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<someone@remote.test>']], '127.0.0.3');
  t.match(anon[0], [530, /^5\.7\.0 Authentication required/], 'mail from outside must authenticate too');
  const authed = await smtpSteps(app.smtpPort, [...login('alice'), ['cmd', 'MAIL FROM:<alice@example.test>'], ['cmd', 'RCPT TO:<x@remote.test>']], '127.0.0.3');
  t.same(codes(authed), [220, 235, 250, 250]);
  const exempt = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<someone@remote.test>'], ['cmd', 'RCPT TO:<bob@example.test>']], '127.0.0.2');
  t.same(codes(exempt), [250, 250], 'norelay,2 goes ahead of SMTP AUTH');
});

t.test('RX-4 level 3 (per-account): accounts flagged SMTP-AUTH must authenticate to send', async (t) => {
  const app = await start({ authLevel: 'per-account' });
  t.teardown(() => app.close());
  const r = await smtpSteps(app.smtpPort, [
    ['cmd', 'MAIL FROM:<dave@example.test>'], ['rset'],
    ['cmd', 'MAIL FROM:<alice@example.test>'], ['rset'],
    ['cmd', 'MAIL FROM:<someone@remote.test>'], ['rset'],
    ...login('dave'), ['cmd', 'MAIL FROM:<dave@example.test>'],
  ]);
  t.same(codes(r), [530, 250, 250, 250, 250, 250, 220, 235, 250]);
});

t.test('RX-6 sender trust', async (t) => {
  const body = (from: string) => `From: ${from}\r\nTo: x@remote.test\r\nSubject: t\r\n\r\nhi\r\n`;
  const envelope = await start({ senderTrust: 'envelope' });
  t.teardown(() => envelope.close());
  const e = await smtpSteps(envelope.smtpPort, [...login('alice'),
    ['cmd', 'MAIL FROM:<bob@example.test>'], ['rset'], ['cmd', 'MAIL FROM:<Alice@Example.test>']]);
  t.match(e[2], [553, /5\.7\.1 <bob@example\.test>: Sender address rejected: not owned by user alice@example\.test/]);
  t.equal(e[4][0], 250, 'the own address, in any case');

  const header = await start({ senderTrust: 'envelope-and-header' });
  t.teardown(() => header.close());
  const send = (from: string) => smtpSteps(header.smtpPort, [...login('alice'),
    ['cmd', 'MAIL FROM:<alice@example.test>'], ['cmd', 'RCPT TO:<bob@example.test>'], ['data', body(from)]]);
  t.match((await send('Bob <bob@example.test>'))[4], [550, /From: header does not match the authenticated user/]);
  t.match((await send('"Alice" <alice@example.test>'))[4], [250, /Ok: queued/]);
  t.equal((await send('alice@example.test, bob@example.test'))[4][0], 550, 'two authors');

  // the listener's own smtp.senderLoginMatch (default on) goes first; off, auth-id is the seed's
  const anyone = await start({}, { smtp: { senderLoginMatch: false } });
  t.teardown(() => anyone.close());
  const a = await smtpSteps(anyone.smtpPort, [...login('alice'), ['cmd', 'MAIL FROM:<bob@example.test>']]);
  t.equal(a[2][0], 250, 'auth-id (the seed default): any sender once authenticated');
  const strict = await start({});
  t.teardown(() => strict.close());
  const s = await smtpSteps(strict.smtpPort, [...login('alice'), ['cmd', 'MAIL FROM:<bob@example.test>']]);
  t.match(s[2], [553, /5\.7\.1 <bob@example\.test>: Sender address rejected: not owned by user alice@example\.test/], 'by default smtp.senderLoginMatch refuses another account');
});

t.test('failed AUTH delays the next try of that IP and login, never refuses the right password', async (t) => {
  const app = await start({}, { smtp: { auth: { failureDelayMs: 0 } }, auth: { penalty: { initialDelayMs: 400, maxDelayMs: 1600 } } });
  t.teardown(() => app.close());
  const tries = (user: string, n: number, pw = 'wrong'): Step[] => Array.from({ length: n }, () => ['login', user, pw] as Step);
  const timed = async (steps: Step[], source: string) => {
    const started = Date.now();
    const r = await smtpSteps(app.smtpPort, steps, source);
    return { r, ms: Date.now() - started };
  };
  for (const user of ['alice@example.test', 'ghost@example.test']) {
    // penalties 0 + 400 + 800 for the three failures, then 1600 for the fourth try
    const { r, ms } = await timed([['starttls'], ...tries(user, 3), ['login', user, `pw-${user.split('@')[0]}`]], '127.0.0.6');
    t.same(codes(r), [220, 535, 535, 535, user.startsWith('alice') ? 235 : 535], `${user}: three failures, then the password is still checked`);
    t.ok(ms >= 400 + 800 + 1600, `${user}: each try waited longer (${ms} ms)`);
  }
  // the IP's failures for alice and ghost do not slow bob down, nor alice from another IP
  const other = await timed([['starttls'], ['login', 'bob@example.test', 'pw-bob']], '127.0.0.6');
  t.equal(other.r[1][0], 235, 'another login from the same IP');
  t.ok(other.ms < 1000, `without a delay (${other.ms} ms)`);
  const elsewhere = await timed([['starttls'], ['login', 'alice@example.test', 'pw-alice']], '127.0.0.7');
  t.equal(elsewhere.r[1][0], 235, 'the same login from another IP');
  t.ok(elsewhere.ms < 1000, `without a delay (${elsewhere.ms} ms)`);
});

t.test('PLAIN and LOGIN are refused without TLS unless allowed', async (t) => {
  const app = await start({});
  t.teardown(() => app.close());
  const r = await smtpSteps(app.smtpPort, [['login', 'alice@example.test', 'pw-alice']]);
  t.not(r[0][0], 235, `cleartext AUTH refused: ${r[0][1]}`);
  const open = await start({}, { smtp: { auth: { allowInsecure: true } } });
  t.teardown(() => open.close());
  t.equal((await smtpSteps(open.smtpPort, [['login', 'alice@example.test', 'pw-alice']]))[0][0], 235, 'allowInsecure: true');
});

t.test('AC-4 usage hours and AC-5 allowed recipients', async (t) => {
  const now = new Date();
  const hh = (h: number) => `${String((now.getHours() + h + 24) % 24).padStart(2, '0')}:00`;
  const app = await start({
    accounts: {
      'alice@example.test': { hours: [{ from: hh(2), to: hh(3) }] }, // not now
      'bob@example.test': { hours: [{ from: hh(-1), to: hh(2) }], allowedRecipients: ['*@example.test', 'partner@remote.test'] },
    },
  });
  t.teardown(() => app.close());
  const alice = await smtpSteps(app.smtpPort, [...login('alice')]);
  t.match(alice[1], [454, /4\.7\.0 Account not usable at this time/], 'login outside the hours');
  const pop = await python(`
import poplib, ssl, sys
p = poplib.POP3('127.0.0.1', int(sys.argv[1])); p.stls(ssl._create_unverified_context()); p.user('alice%example.test')
try:
    print(p.pass_('pw-alice'))
except poplib.error_proto as e:
    print('refused', e)`, [String(app.pop3Port)]);
  t.match(pop.stdout, /^refused .*not usable at this time/, 'POP3 login outside the hours too');
  const aliceSender = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<alice@example.test>']]);
  t.match(aliceSender[0], [450, /4\.7\.0 Account not usable/], 'sending as the account outside the hours');
  const bob = await smtpSteps(app.smtpPort, [...login('bob'), ['cmd', 'MAIL FROM:<bob@example.test>'],
    ['cmd', 'RCPT TO:<alice@example.test>'], ['cmd', 'RCPT TO:<partner@remote.test>'], ['cmd', 'RCPT TO:<other@remote.test>']]);
  t.same(codes(bob), [220, 235, 250, 250, 250, 550]);
  t.match(bob[5][1], /<other@remote\.test>: Recipient address rejected: not allowed for this sender/);
});
