/**
 * Two sessions on one mailbox (RFC 3501 §5.2, §7.4.1): flag changes, new mail and expunges
 * made by one session (or delivered over SMTP) reach the other as FETCH / EXISTS / EXPUNGE,
 * EXPUNGE is held back during FETCH/STORE/SEARCH, and IDLE (RFC 2177) is woken by an SMTP
 * delivery within a second.
 */
import t from 'tap';
import { startImapAppliance, imaplib } from './helpers/imap-env.ts';

const app = await startImapAppliance({}, ['alice']);
t.teardown(() => app.close());

t.test('a second session sees FETCH FLAGS, EXISTS and EXPUNGE; EXPUNGE is held during FETCH', async (t) => {
  const r = await imaplib(app, `
a = login('alice')
for i in range(3):
    a.append('INBOX', None, None, ('Subject: c%d\\r\\n\\r\\nbody\\r\\n' % i).encode())
b = login('alice')
a.select('INBOX')
b.select('INBOX')
a.untagged_responses.pop('EXISTS', None)
a.untagged_responses.pop('RECENT', None)
b.store('1', '+FLAGS', '(\\\\Seen)')
a.noop()
out['flags'] = a.untagged_responses.pop('FETCH', None)
send('alice', b'Subject: over smtp\\r\\n\\r\\nhello\\r\\n')
time.sleep(0.2)
a.noop()
out['exists'] = a.untagged_responses.pop('EXISTS', None)
out['recent_a'] = a.untagged_responses.pop('RECENT', None)
b.untagged_responses.pop('RECENT', None)
b.noop()
out['recent_b'] = b.untagged_responses.pop('RECENT', None)
out['flags_b'] = b.fetch('4', '(FLAGS)')[1]
b.store('2', '+FLAGS', '(\\\\Deleted)')
b.expunge()
a.untagged_responses.pop('FETCH', None)
out['fetch_typ'] = a.fetch('1:*', '(UID)')[0]
out['fetch_during'] = a.untagged_responses.pop('FETCH', None)
out['expunge_during_fetch'] = a.untagged_responses.pop('EXPUNGE', None)
out['uid_fetch'] = a.uid('FETCH', '1:*', '(UID)')[1]
out['expunge_after_uid_fetch'] = a.untagged_responses.pop('EXPUNGE', None)
out['after'] = a.fetch('1:*', '(UID)')[1]
`);
  t.same(r.flags, ['1 (UID 1 FLAGS (\\Seen \\Recent))'], 'flag change announced with its UID (\\Recent is the first session\'s)');
  t.same(r.exists, ['4'], 'SMTP delivery announced as EXISTS');
  t.same(r.recent_a, ['4'], 'the session that saw the new message first has it as \\Recent');
  t.same(r.recent_b, ['0'], '... and no other session (RFC 3501 §2.3.2)');
  t.same(r.flags_b, ['4 (FLAGS ())']);
  t.same(r.fetch_during, ['1 (UID 1)', '3 (UID 3)', '4 (UID 4)'], 'the expunged message keeps its number during FETCH');
  t.equal(r.fetch_typ, 'NO', 'NO [EXPUNGEISSUED] for the message expunged meanwhile (RFC 5530)');
  t.same(r.expunge_during_fetch, null, 'no EXPUNGE during FETCH (RFC 3501 §7.4.1)');
  t.same(r.expunge_after_uid_fetch, ['2'], 'EXPUNGE sent with UID FETCH');
  t.same(r.after, ['1 (UID 1)', '2 (UID 3)', '3 (UID 4)']);
});

t.test('IDLE is woken by an SMTP delivery within one second; DONE ends it', async (t) => {
  const r = await imaplib(app, `
a = login('alice')
a.select('INBOX')
a.send(b'I1 IDLE\\r\\n')
out['cont'] = a.readline()
t0 = time.time()
send('alice', b'Subject: wake up\\r\\n\\r\\nidle test\\r\\n')
sent = time.time()
line = a.readline()
out['line'] = line
out['latency'] = time.time() - sent
def until(tag):
    while True:
        l = a.readline()
        if l.startswith(tag) or not l:
            return l
a.send(b'DONE\\r\\n')
out['done'] = until(b'I1 ')
a.send(b'I2 IDLE\\r\\n')
out['cont2'] = until(b'+')
a.send(b'NOTDONE\\r\\n')
out['bad'] = until(b'I2 ')
`);
  t.match(r.cont, /^\+ idling/);
  t.match(r.line, /^\* \d+ EXISTS\r\n$/);
  t.ok(r.latency < 1, `EXISTS within 1 s (${r.latency.toFixed(3)} s)`);
  t.match(r.done, /^I1 OK/);
  t.match(r.cont2, /^\+ idling/);
  t.match(r.bad, /^I2 BAD/);
});
