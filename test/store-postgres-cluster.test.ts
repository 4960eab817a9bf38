/**
 * Two appliances (nodes n1, n2) on one PostgreSQL database, with real clients (Python smtplib,
 * imaplib, poplib): mail accepted on node 1 is read on node 2, IMAP IDLE on node 2 is woken
 * by a delivery on node 1 (LISTEN/NOTIFY), and PostgreSQL restarted while mail is arriving:
 * the nodes recover without operator action, every message that got a 250 is stored (a short
 * restart is ridden out: transactions that never reached COMMIT are run again), and IDLE across
 * nodes works again. PostgreSQL down longer than the reconnect window: SMTP answers 451 and
 * stores nothing, and accepts again once PostgreSQL is back.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { imaplib } from './helpers/imap-env.ts';
import { startPostgres } from './helpers/postgres.ts';
import { runCli } from './helpers/cli.ts';

const pg = await startPostgres();
const url = await pg.database();
const n1 = await startTestAppliance({ store: { kind: 'postgres', url }, node: { name: 'n1' } });
const n2 = await startTestAppliance({ store: { kind: 'postgres', url }, node: { name: 'n2' } });
t.teardown(async () => {
  await n2.close();
  await n1.close();
  await pg.stop();
});
await seedAccounts(n1, 'example.test', ['alice', 'bob']);

/** Python with IMAP/POP3 on node 2 and SMTP on node 1. */
const across = (script: string, timeoutMs = 30_000) => imaplib({ ...n2, smtpPort: n1.smtpPort } as TestAppliance, `
import poplib
POP = ${n2.pop3Port}
${script}`, timeoutMs);

const IDLE_WAKE = `
a = login('alice')
a.select('INBOX')
a.send(b'I1 IDLE\\r\\n')
out['cont'] = a.readline()
t0 = time.time()
send('alice', b'Subject: cross-node\\r\\n\\r\\nfrom node 1\\r\\n')
sent = time.time()
out['line'] = a.readline()
out['latency'] = time.time() - sent
a.send(b'DONE\\r\\n')
while True:
    l = a.readline()
    if l.startswith(b'I1 ') or not l:
        out['done'] = l
        break
a.logout()
`;

t.test('accounts made on node 1 log in on node 2; SMTP on node 1, IMAP and POP3 on node 2', async (t) => {
  const r = await across(`
s = smtplib.SMTP(H, SP, timeout=15)
out['rcpt'] = s.sendmail('sender@example.org', ['alice@example.test', 'bob@example.test'], b'Subject: hello cluster\\r\\n\\r\\nbody\\r\\n')
s.quit()
c = login('alice')
out['select'] = c.select('INBOX')
out['fetch'] = c.fetch('1', '(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])')[1]
c.logout()
p = poplib.POP3(H, POP, timeout=15)
p.stls(CTX)
p.user('bob@example.test')
p.pass_('pw-bob')
out['stat'] = p.stat()
out['retr'] = b'\\n'.join(p.retr(1)[1])
p.dele(1)
p.quit()
`);
  t.same(r.rcpt, {});
  t.same(r.select, ['OK', ['1']]);
  t.match(JSON.stringify(r.fetch), /hello cluster/);
  t.equal(r.stat[0], 1);
  t.match(r.retr, /hello cluster/);
  t.same(await inbox(n1, 'bob@example.test'), [], 'a POP3 DELE on node 2 is seen on node 1');
  // the CLI on a node's data directory works on the cluster store (store.json written at start)
  const cli = await runCli(['account', 'list', '--data', n2.dataDir]);
  t.equal(cli.code, 0, cli.stderr);
  t.match(cli.stdout, /alice@example\.test/);
  t.match(cli.stdout, /bob@example\.test/);
});

t.test('the POP3 maildrop lock holds across nodes (RFC 1939 §8): node 2 answers [IN-USE] while node 1 has the maildrop', async (t) => {
  const r = await across(`
def pop(port):
    p = poplib.POP3(H, port, timeout=15)
    p.stls(CTX)
    p.user('alice@example.test')
    return p
p1 = pop(${n1.pop3Port})
p1.pass_('pw-alice')
p2 = pop(POP)
try:
    p2.pass_('pw-alice')
    out['second'] = 'logged in'
except poplib.error_proto as e:
    out['second'] = e.args[0].decode()
p2.quit()
p1.quit()
p3 = pop(POP)
out['after'] = p3.pass_('pw-alice').decode()
p3.quit()
`);
  t.match(r.second, /^-ERR \[IN-USE\]/, 'a login on node 2 is refused while node 1 holds the maildrop');
  t.match(r.after, /^\+OK/, 'node 2 logs in once node 1 has quit');
});

t.test('IMAP IDLE on node 2 is woken by a delivery on node 1', async (t) => {
  const r = await across(IDLE_WAKE);
  t.match(r.cont, /^\+ idling/);
  t.match(r.line, /^\* \d+ EXISTS\r\n$/);
  t.ok(r.latency < 2, `EXISTS on node 2 ${(r.latency * 1000).toFixed(0)} ms after the 250 on node 1`);
  t.match(r.done, /^I1 OK/);
});

t.test('PostgreSQL restarted while mail arrives: no accepted message lost, the nodes recover by themselves', async (t) => {
  const before = (await inbox(n1, 'bob@example.test')).length;
  // one message every ~20 ms for 4 s on fresh connections; PostgreSQL restarts after 1 s
  const sending = across(`
results = []
t_end = time.time() + 4
i = 0
while time.time() < t_end:
    i += 1
    subj = 'load %d' % i
    try:
        s = smtplib.SMTP(H, SP, timeout=15)
        s.sendmail('sender@example.org', ['bob@example.test'], ('Subject: %s\\r\\n\\r\\nx\\r\\n' % subj).encode())
        s.quit()
        results.append([subj, 250, ''])
    except smtplib.SMTPResponseException as e:
        results.append([subj, e.smtp_code, e.smtp_error.decode('utf-8', 'replace')])
        try: s.quit()
        except Exception: pass
    except smtplib.SMTPRecipientsRefused as e:
        code, msg = list(e.recipients.values())[0]
        results.append([subj, code, msg.decode('utf-8', 'replace')])
    except Exception as e:
        results.append([subj, 0, repr(e)])
    time.sleep(0.02)
out['results'] = results
`, 60_000);
  await new Promise((r) => setTimeout(r, 1000));
  const t0 = Date.now();
  await pg.restart();
  const restartMs = Date.now() - t0;
  const { results } = (await sending) as { results: [string, number, string][] };
  const accepted = results.filter((r) => r[1] === 250).map((r) => r[0]);
  const refused = results.filter((r) => r[1] !== 250);
  t.comment(`${results.length} messages sent, ${accepted.length} accepted, ${refused.length} refused during a ${restartMs} ms restart`);
  t.ok(accepted.length > 10, 'mail was accepted before and after the restart');
  t.ok(refused.every((r) => r[1] >= 400 && r[1] < 500), `refusals are temporary (4xx): ${JSON.stringify(refused.slice(0, 3))}`);
  t.ok(results.slice(-5).every((r) => r[1] === 250), 'accepting again at the end, without operator action');
  const stored = (await inbox(n1, 'bob@example.test')).slice(before).map((m) => /Subject: (load \d+)/.exec(m.content)?.[1]);
  const storedSet = new Set(stored);
  t.same(accepted.filter((s) => !storedSet.has(s)), [], 'every message that got a 250 is stored');
  t.equal(storedSet.size, stored.length, 'none stored twice');
  t.same(stored.filter((s) => !accepted.includes(s!)), [], 'a refused message is not half-stored');
  // LISTEN reconnected on node 2: IDLE still crosses nodes
  const r = await across(IDLE_WAKE);
  t.match(r.line, /^\* \d+ EXISTS\r\n$/, 'IDLE on node 2 woken after the restart');
});

t.test('PostgreSQL down longer than the reconnect window: 451, nothing stored, accepting again when it is back', async (t) => {
  const before = (await inbox(n1, 'bob@example.test')).length;
  await pg.halt();
  const started = Date.now();
  const down = await across(`
try:
    s = smtplib.SMTP(H, SP, timeout=30)
    s.sendmail('sender@example.org', ['bob@example.test'], b'Subject: while down\\r\\n\\r\\nx\\r\\n')
    out['code'] = 250
except smtplib.SMTPResponseException as e:
    out['code'] = e.smtp_code
    out['msg'] = e.smtp_error.decode()
except smtplib.SMTPRecipientsRefused as e:
    out['code'], m = list(e.recipients.values())[0]
    out['msg'] = m.decode()
`, 60_000);
  const waited = Date.now() - started;
  await pg.start();
  t.comment(`answered ${down.code} after ${waited} ms: ${down.msg}`);
  t.ok(down.code >= 400 && down.code < 500, `a temporary failure (${down.code} ${down.msg})`);
  const r = await across(`
s = smtplib.SMTP(H, SP, timeout=30)
out['r'] = s.sendmail('sender@example.org', ['bob@example.test'], b'Subject: back again\\r\\n\\r\\nx\\r\\n')
s.quit()
`);
  t.same(r.r, {}, 'accepted once PostgreSQL is back');
  const subjects = (await inbox(n1, 'bob@example.test')).slice(before).map((m) => /Subject: ([^\r]+)/.exec(m.content)?.[1]);
  t.same(subjects, ['back again'], 'the refused message was not stored');
});
