/**
 * Quoted local parts (RFC 5321 §4.1.2), sent by Python's smtplib to the appliance with the
 * shipped relay policy: `"victim@remote.test"@local.test` is an address at local.test — looked
 * up there and refused as unknown (550 5.1.1), never a syntax error, never a relay to
 * remote.test; `"bob"@local.test` is bob@local.test and is delivered to him; a quoted sender
 * with an @ is taken and kept as sent in Return-Path.
 */
import t from 'tap';
import { inbox, seedAccounts, startTestAppliance, type TestAppliance } from './helpers/appliance.ts';
import { python } from './helpers/python.ts';

/** relay-effect as mailserver.config.ts ships it. */
const SHIPPED_RELAY = { name: 'relay-effect', options: { rules: [], localSenderRelay: false, authLevel: 'optional', senderTrust: 'auth-id' } };

let app: TestAppliance;
t.before(async () => {
  app = await startTestAppliance({ plugins: [SHIPPED_RELAY], delivery: { enabled: false } });
  await seedAccounts(app, 'local.test', ['bob']);
});
t.teardown(() => app.close());

const SEND = `
import smtplib, sys, json
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
s.ehlo('client.test')
out = {}
def r(x): return [x[0], x[1].decode()]
out['mail'] = r(s.docmd('MAIL FROM:<"odd@sender"@client.test>'))
for rcpt in sys.argv[2:]:
    out[rcpt] = r(s.docmd('RCPT TO:<%s>' % rcpt))
out['data'] = r(s.docmd('DATA'))
if out['data'][0] == 354:
    s.send(b'Subject: quoted\\r\\n\\r\\nhello\\r\\n.\\r\\n')
    out['end'] = r(s.getreply())
s.quit()
print(json.dumps(out))
`;

t.test('a quoted local part is an address at the domain after its last @', async (t) => {
  const r = await python(SEND, [String(app.smtpPort), '"victim@remote.test"@local.test', '"bob"@local.test', '"a b"@local.test', '"victim@local.test"@remote.test']);
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, [number, string]>;
  t.equal(out.mail[0], 250, `a quoted sender with an @ is taken: ${out.mail[1]}`);
  t.match(out['"victim@remote.test"@local.test'], [550, /5\.1\.1/], 'looked up at local.test: no such user (not 501, not relayed)');
  t.match(out['"bob"@local.test'], [250], '"bob" is bob');
  t.match(out['"a b"@local.test'], [550, /5\.1\.1/], 'a quoted space: a syntax smtp-server took, looked up, unknown');
  t.match(out['"victim@local.test"@remote.test'], [554, /Relay access denied/], 'an address at remote.test is a relay, refused without AUTH');
  t.equal(out.end[0], 250, out.end[1]);
  const mail = await inbox(app, 'bob@local.test');
  t.equal(mail.length, 1, 'delivered to bob');
  t.match(mail[0].content, /^Return-Path: <"odd@sender"@client\.test>\r\n/, 'the sender as sent');
  t.same(await app.store.queue.list(), [], 'nothing queued for remote.test');
});
