/**
 * The open-relay battery: the classic relay tricks over real SMTP (raw RCPT lines through
 * smtplib's docmd, and swaks from another source address) against the shipped
 * mailserver.config.ts and against each relay mode. Nothing may reach the outbound queue
 * where it must not; a positive control shows the probe sees a relay when there is one.
 */
import t from 'tap';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { startTestAppliance, seedAccounts, type TestAppliance } from './helpers/appliance.ts';
import { python } from './helpers/python.ts';
import { smtpSteps } from './helpers/smtp-script.ts';
import { loadConfig } from '../core/config/load.ts';
import type { UserConfig } from '../core/config/schema.ts';
import type { EffectRule } from '../policies/effect-rules.ts';

/** RCPT arguments as written on the wire. */
const TRICKS = [
  '<victim@remote.test>',
  '<victim%remote.test@example.test>', // the % hack
  '<"victim%remote.test"@example.test>',
  '<@example.test:victim@remote.test>', // source route (RFC 5321 §4.1.2: ignored, so remote)
  '<@example.test,@mail.test:victim@remote.test>',
  '<remote.test!victim@example.test>', // bang path
  '<remote.test!victim>',
  '<"victim@remote.test"@example.test>', // quoted local part containing @
  '<victim@remote.test@example.test>',
  '<victim@REMOTE.TEST>', // case
  '<victim@remote.test.>', // trailing dot
  '<victim@example.test.>',
  '<victim@[127.0.0.1]>', // IP literals
  '<victim@[192.0.2.1]>',
  '<victim@[IPv6:::1]>',
  '<victim@remote.test> NOTIFY=NEVER',
  '<victim@localhost>',
  '<postmaster@remote.test>',
];
const SENDERS = ['<spammer@remote.test>', '<>', '<bob@example.test>', '<BOB@EXAMPLE.TEST>', '<nobody@example.test>'];

const PROBE = `
import smtplib, sys, json
port, source = int(sys.argv[1]), sys.argv[2]
senders, tricks = json.loads(sys.argv[3]), json.loads(sys.argv[4])
out = {}
s = smtplib.SMTP('127.0.0.1', port, source_address=(source, 0)); s.ehlo('probe.test')
for frm in senders:
    for trick in tricks:
        c, _ = s.docmd('MAIL FROM:' + frm)
        rc, rm = s.docmd('RCPT TO:' + trick) if c == 250 else (c, b'')
        out[frm + ' -> ' + trick] = [rc, rm.decode()]
        s.rset()
s.quit()
print(json.dumps(out))
`;

async function battery(app: TestAppliance, source: string, senders = SENDERS): Promise<Record<string, [number, string]>> {
  const r = await python(PROBE, [String(app.smtpPort), source, JSON.stringify(senders), JSON.stringify(TRICKS)], { timeoutMs: 60_000 });
  if (!r.stdout.trim()) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function start(config: UserConfig): Promise<TestAppliance> {
  // the battery sends 90 refused RCPTs in one session, the pattern the error limit
  // (smtp.softErrorLimit / hardErrorLimit, test/security/rcpt-harvest.test.ts) slows and cuts
  const app = await startTestAppliance({ ...config, smtp: { ...config.smtp, softErrorLimit: 1000, hardErrorLimit: 1000 }, delivery: { enabled: false } });
  await seedAccounts(app, 'example.test', ['alice', 'bob']);
  return app;
}

const relayEffect = (rules: EffectRule[], localSenderRelay = false): UserConfig => ({
  plugins: [{ name: 'relay-effect', options: { rules, localSenderRelay } }],
});

function accepted(results: Record<string, [number, string]>): string[] {
  return Object.entries(results).filter(([, [code]]) => code === 250).map(([k]) => k);
}

t.test('the shipped mailserver.config.ts relays nothing for unauthenticated clients', async (t) => {
  const { config } = await loadConfig(path.resolve(import.meta.dirname, '../mailserver.config.ts'));
  t.ok(config.plugins.some((p) => p.name === 'relay-effect'), 'the shipped config loads relay-effect');
  const app = await start({ plugins: config.plugins });
  t.teardown(() => app.close());
  const results = await battery(app, '127.0.0.3');
  t.same(accepted(results), [], 'no trick got a 250');
  t.same(await app.store.queue.list(), [], 'nothing queued');
  t.match(results['<bob@example.test> -> <victim@remote.test>'], [554, /5\.7\.1 Relay access denied/], 'a forged local sender');
  const swaks = await new Promise<string>((resolve) => execFile('swaks', ['--server', '127.0.0.1', '--port', String(app.smtpPort),
    '--local-interface', '127.0.0.4', '--from', 'bob@example.test', '--to', 'victim@remote.test', '--helo', 'swaks.test'],
  (_e, so, se) => resolve(so + se)));
  t.match(swaks, /<\*\* 554 5\.7\.1 Relay access denied/, 'swaks from 127.0.0.4 is refused too');
  const authed = await smtpSteps(app.smtpPort, [['starttls'], ['login', 'bob@example.test', 'pw-bob'],
    ['cmd', 'MAIL FROM:<bob@example.test>'], ['cmd', 'RCPT TO:<victim@remote.test>']], '127.0.0.3');
  t.same(authed.map(([c]) => c), [220, 235, 250, 250], 'an authenticated session relays (RL-7)');
});

const MODES: [string, UserConfig][] = [
  ['no plugin (the listener alone)', {}],
  ['relay-effect, no rules, secure', relayEffect([])],
  ['relay-effect, 127.0.0.2 true', relayEffect([{ match: '127.0.0.2', action: 'true' }])],
  ['relay-effect, 127.0.0.2 norelay,2 + *.*.*.* norelay', relayEffect([{ match: '127.0.0.2', action: 'norelay,2' }, { match: '*.*.*.*', action: 'norelay' }])],
  ['relay-effect, 127.0.0.0/30 default + 0.0.0.0 only', relayEffect([{ match: '127.0.0.0/30', action: 'default' }, { match: '0.0.0.0', action: 'only' }])],
  ['relay-effect, remote.test false', relayEffect([{ match: 'remote.test', action: 'false' }])],
];

for (const [name, config] of MODES) {
  t.test(`battery from an unlisted client: ${name}`, async (t) => {
    const app = await start(config);
    t.teardown(() => app.close());
    const results = await battery(app, '127.0.0.5');
    t.same(accepted(results), [], 'no trick got a 250');
    t.same(await app.store.queue.list(), [], 'nothing queued');
  });
}

t.test('seed-compatible mode: forged local senders relay (documented), nobody else does', async (t) => {
  const app = await start(relayEffect([], true));
  t.teardown(() => app.close());
  const results = await battery(app, '127.0.0.5');
  const through = accepted(results);
  t.ok(through.length > 0, 'the seed lets a local envelope sender relay (RL-1)');
  t.same(through.filter((k) => !/^<bob@example\.test>|^<BOB@EXAMPLE\.TEST>/.test(k)), [], 'only with a local account as sender');
});

t.test('positive control: the probe sees relaying where a rule allows it', async (t) => {
  const app = await start(relayEffect([{ match: '127.0.0.2', action: 'true' }]));
  t.teardown(() => app.close());
  const results = await battery(app, '127.0.0.2', ['<spammer@remote.test>']);
  t.same(results['<spammer@remote.test> -> <victim@remote.test>'], [250, '2.1.5 Accepted']);
  t.same(results['<spammer@remote.test> -> <@example.test:victim@remote.test>'][0], 250, 'a source route is just the address');
  t.equal(results['<spammer@remote.test> -> <victim%remote.test@example.test>'][0], 550, 'the % hack is a local unknown user, not a relay');
});
