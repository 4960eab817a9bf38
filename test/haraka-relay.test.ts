/**
 * haraka-plugin-relay (published, unmodified) next to relay-effect over real SMTP: its ACL
 * (relay.ini `[relay] acl=true`, relay_acl_allow) sets connection.relaying, which permits
 * relaying as in Haraka; relay-effect's own explicit refusals (`false`, `norelay`) still win for
 * the clients they name. smtplib connects from several 127.0.0.x source addresses.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { startTestAppliance, seedAccounts, tempDir, inbox, type TestAppliance } from './helpers/appliance.ts';
import { python } from './helpers/python.ts';

// 127.0.0.2: in the ACL, no relay-effect rule; 127.0.0.3: nowhere; 127.0.0.4: in the ACL and
// `norelay`; 127.0.0.5: in the ACL and `false`
const ACL = ['127.0.0.2/32', '127.0.0.4', '127.0.0.5/32 # refused by relay-effect anyway'];

const GRANT_PLUGIN = `
exports.register = function () { this.register_hook('rcpt', 'grant'); };
exports.grant = function (next, connection, params) {
  if (params[0].host === 'grant.test') connection.relaying = true;
  next();
};
`;

let app: TestAppliance;
t.before(async () => {
  const configDir = tempDir('haraka-config-');
  fs.writeFileSync(path.join(configDir, 'relay.ini'), '[relay]\nacl=true\n');
  fs.writeFileSync(path.join(configDir, 'relay_acl_allow'), `${ACL.join('\n')}\n`);
  // a plain Haraka plugin that grants relaying from its rcpt hook, i.e. during a transaction
  const grant = path.join(configDir, 'grant_relay.js');
  fs.writeFileSync(grant, GRANT_PLUGIN);
  app = await startTestAppliance({
    haraka: { configDir, plugins: ['relay', grant] },
    plugins: [{
      name: 'relay-effect',
      options: { rules: [{ match: '127.0.0.4', action: 'norelay' }, { match: '127.0.0.5', action: 'false' }], localSenderRelay: false },
    }],
  });
  await seedAccounts(app, 'example.test', ['alice', 'bob']);
});
t.teardown(() => app.close());

/** One transaction from `source`: MAIL, every RCPT, DATA when one was accepted; the replies (per transaction when given several). */
const SEND = `
import smtplib, sys, json
port, source, frm = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rcpts = json.loads(sys.argv[4])
s = smtplib.SMTP('127.0.0.1', port, source_address=(source, 0)); s.ehlo('client.test')
def step(f):
    try:
        code, msg = f()
        return [code, msg.decode()]
    except smtplib.SMTPResponseException as e:
        return [e.smtp_code, e.smtp_error.decode()]
out = {'mail': step(lambda: s.mail(frm)), 'rcpt': []}
if out['mail'][0] == 250:
    out['rcpt'] = [step(lambda r=r: s.rcpt(r)) for r in rcpts]
    if any(c == 250 for c, _ in out['rcpt']):
        out['data'] = step(lambda: s.data(b'Subject: via ' + source.encode() + b'\\r\\n\\r\\nhello\\r\\n'))
s.quit()
print(json.dumps(out))
`;

interface Sent { mail: [number, string]; rcpt: [number, string][]; data?: [number, string] }

async function send(source: string, from: string, rcpts: string[]): Promise<Sent> {
  const r = await python(SEND, [String(app.smtpPort), source, from, JSON.stringify(rcpts)]);
  if (!r.stdout.trim()) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Sent;
}

async function queuedFor(recipient: string): Promise<string[]> {
  const list = await app.store.queue.list();
  return list.filter((q) => q.recipients.some((r) => r.recipient === recipient)).map((q) => q.mailFrom);
}

t.test('a client in relay_acl_allow relays to a remote domain: the message is queued for the remote', async (t) => {
  const r = await send('127.0.0.2', 'app@remote.test', ['someone@remote.test']);
  t.same(r.rcpt.map((x) => x[0]), [250], JSON.stringify(r));
  t.equal(r.data?.[0], 250, JSON.stringify(r));
  t.same(await queuedFor('someone@remote.test'), ['app@remote.test'], 'in the outbound queue');
});

t.test('an ACL client relays with a local sender too (as an `IP true` rule would)', async (t) => {
  const r = await send('127.0.0.2', 'bob@example.test', ['other@remote.test', 'alice@example.test']);
  t.same(r.rcpt.map((x) => x[0]), [250, 250], JSON.stringify(r));
  t.equal(r.data?.[0], 250, JSON.stringify(r));
  t.same(await queuedFor('other@remote.test'), ['bob@example.test']);
  t.equal((await inbox(app, 'alice@example.test')).length, 1, 'the local copy is stored');
});

t.test('a client not in the ACL gets 554 from relay-effect; local delivery still works', async (t) => {
  const r = await send('127.0.0.3', 'app@remote.test', ['third@remote.test', 'alice@example.test']);
  t.equal(r.rcpt[0][0], 554, JSON.stringify(r));
  t.match(r.rcpt[0][1], /Relay access denied/);
  t.equal(r.rcpt[1][0], 250, JSON.stringify(r));
  t.same(await queuedFor('third@remote.test'), [], 'nothing queued for the remote');
});

t.test('precedence: an ACL client that relay-effect names `norelay` does not relay (the explicit rule wins)', async (t) => {
  const r = await send('127.0.0.4', 'bob@example.test', ['fourth@remote.test', 'alice@example.test']);
  t.equal(r.rcpt[0][0], 554, JSON.stringify(r));
  t.match(r.rcpt[0][1], /Relay access denied/);
  t.equal(r.rcpt[1][0], 250, 'norelay still delivers to local accounts');
  t.same(await queuedFor('fourth@remote.test'), []);
});

t.test('precedence: an ACL client that relay-effect names `false` is refused at MAIL FROM', async (t) => {
  const r = await send('127.0.0.5', 'app@remote.test', ['fifth@remote.test']);
  t.equal(r.mail[0], 550, JSON.stringify(r));
  t.match(r.mail[1], /Access denied by relay rules/);
  t.same(await queuedFor('fifth@remote.test'), []);
});

t.test('relaying a Haraka plugin grants during a transaction is that transaction\'s only, as in Haraka', async (t) => {
  const r = await python(`
import smtplib, sys, json
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), source_address=('127.0.0.3', 0)); s.ehlo('client.test')
out = [s.mail('app@remote.test')[0], s.rcpt('x@grant.test')[0], s.rcpt('sixth@remote.test')[0]]
out.append(s.data(b'Subject: granted\\r\\n\\r\\nhello\\r\\n')[0])
out += [s.mail('app@remote.test')[0], s.rcpt('seventh@remote.test')[0]]
s.quit()
print(json.dumps(out))`, [String(app.smtpPort)]);
  if (!r.stdout.trim()) throw new Error(r.stderr);
  const [mail1, grant, rcpt1, data1, mail2, rcpt2] = JSON.parse(r.stdout) as number[];
  t.same([mail1, grant, rcpt1, data1], [250, 250, 250, 250], 'the granting transaction relays');
  t.same(await queuedFor('sixth@remote.test'), ['app@remote.test']);
  t.same([mail2, rcpt2], [250, 554], 'the next transaction on the same connection does not');
  t.same(await queuedFor('seventh@remote.test'), []);
});
