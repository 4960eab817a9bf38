/**
 * RL-1 … RL-5 over real SMTP: every cell of the seed's five verdict matrices, with smtplib
 * connecting from 127.0.0.2 (the rule's source) and from 127.0.0.3 (elsewhere), against a
 * running appliance with the relay-effect plugin — in the seed-compatible mode and in the
 * secure default.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, type TestAppliance } from './helpers/appliance.ts';
import { python } from './helpers/python.ts';
import { CLASSES, SEED_MATRICES, secureVariant, type Matrix } from '../policies/effect-matrices.ts';
import type { EffectRule } from '../policies/effect-rules.ts';

const SENDERS = ['bob@example.test', 'nobody@example.test', 'ext@remote.test'];
const RECIPIENTS = ['alice@example.test', 'ghost@example.test', 'someone@remote.test'];

/** One session from `source`: for each sender MAIL, the three RCPTs, RSET; prints 'o'/'x' cells. */
const PROBE = `
import smtplib, sys, json
port, source = int(sys.argv[1]), sys.argv[2]
senders, rcpts = json.loads(sys.argv[3]), json.loads(sys.argv[4])
s = smtplib.SMTP('127.0.0.1', port, source_address=(source, 0)); s.ehlo('probe.test')
rows, codes = [], []
for frm in senders:
    c, m = s.mail(frm)
    row = []
    for r in rcpts:
        if c != 250:
            row.append('x'); codes.append(c); continue
        rc, rm = s.rcpt(r)
        row.append('o' if rc == 250 else 'x'); codes.append(rc)
    s.rset(); rows.append(row)
s.quit()
print(json.dumps({'rows': rows, 'codes': codes}))
`;

async function probe(app: TestAppliance, source: string): Promise<{ rows: string[][]; codes: number[] }> {
  const r = await python(PROBE, [String(app.smtpPort), source, JSON.stringify(SENDERS), JSON.stringify(RECIPIENTS)]);
  if (!r.stdout.trim()) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function start(rules: EffectRule[], localSenderRelay: boolean): Promise<TestAppliance> {
  const app = await startTestAppliance({
    delivery: { enabled: false },
    plugins: [{ name: 'relay-effect', options: { rules, localSenderRelay } }],
  });
  await seedAccounts(app, 'example.test', ['alice', 'bob']);
  return app;
}

const show = (m: Matrix | string[][]) => m.map((r) => r.join(' ')).join(' / ');

for (const mode of ['seed', 'secure'] as const) {
  for (const m of SEED_MATRICES) {
    t.test(`${m.id} over SMTP, ${mode === 'seed' ? 'seed-compatible (localSenderRelay: true)' : 'secure default'}`, async (t) => {
      const app = await start(m.action ? [{ match: '127.0.0.2', action: m.action }] : [], mode === 'seed');
      t.teardown(() => app.close());
      for (const [where, source] of [['inside', '127.0.0.2'], ['elsewhere', '127.0.0.3']] as const) {
        const expected = mode === 'seed' ? (where === 'inside' ? m.inside : m.elsewhere) : secureVariant(m, where === 'inside');
        const got = await probe(app, source);
        t.equal(show(got.rows), show(expected), `from ${source} (${where}); rows ${CLASSES.join(', ')}; codes ${got.codes.join(',')}`);
      }
    });
  }
}

t.test('refusals carry their reasons; accepted relays are queued', async (t) => {
  const app = await start([{ match: '127.0.0.2', action: 'only' }], true);
  t.teardown(() => app.close());
  const r = await python(`
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), source_address=(sys.argv[2], 0)); s.ehlo('probe.test')
s.mail('bob@example.test'); print(s.rcpt('alice@example.test')); s.rset()
s.mail('nobody@example.test'); print(s.rcpt('alice@example.test')); s.rset()
s.mail('ext@remote.test'); print(s.rcpt('someone@remote.test'))
`, [String(app.smtpPort), '127.0.0.3']);
  const lines = r.stdout.trim().split('\n');
  t.match(lines[0], /^\(550, b'5\.7\.1 <bob@example\.test>: Sender address rejected: local senders must use an allowed network'\)/);
  t.match(lines[1], /^\(550, b'5\.7\.1 <nobody@example\.test>: Sender address rejected: no such account/);
  t.match(lines[2], /^\(554, b'5\.7\.1 Relay access denied'\)/);
  const sent = await python(`
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), source_address=('127.0.0.2', 0))
print(s.sendmail('bob@example.test', ['someone@remote.test'], b'Subject: out\\r\\n\\r\\nrelayed\\r\\n'))`, [String(app.smtpPort)]);
  t.equal(sent.stdout.trim(), '{}', sent.stderr);
  const queued = await app.store.queue.list();
  t.same(queued.map((q) => [q.mailFrom, q.recipients.map((r) => r.recipient)]), [['bob@example.test', ['someone@remote.test']]],
    'the relayed message is in the outbound queue');
});
