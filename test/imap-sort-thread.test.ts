/**
 * SORT and THREAD (RFC 5256) with imaplib: sort keys over decoded headers, base subjects,
 * ORDEREDSUBJECT and REFERENCES threading; STATUS RECENT.
 */
import t from 'tap';
import { startImapAppliance, imaplib } from './helpers/imap-env.ts';
import { SIMPLE, nestedMessage } from './helpers/imap-messages.ts';

const app = await startImapAppliance({}, ['alice', 'bob']);
t.teardown(() => app.close());

t.before(async () => {
  // the three messages of the SEARCH test, seen once by a session (so no longer \Recent)
  await imaplib(app, `
c = login('alice')
c.append('INBOX', '(\\\\Seen)', '"01-Jan-2026 12:00:00 +0000"', ${JSON.stringify(SIMPLE)}.encode())
c.append('INBOX', '(\\\\Flagged \\\\Answered)', '"15-Feb-2026 12:00:00 +0000"', bytes.fromhex('${nestedMessage().toString('hex')}'))
c.append('INBOX', '(\\\\Deleted $Later)', '"20-Feb-2026 12:00:00 +0000"', b'From: z@example.com\\r\\nSubject: third\\r\\nX-Tag: blue\\r\\nDate: Fri, 20 Feb 2026 10:00:00 +0000\\r\\n\\r\\n' + b'x' * 5000 + b'\\r\\n')
c.select('INBOX')
c.logout()
`);
});

t.test('SORT and THREAD=ORDEREDSUBJECT (RFC 5256); STATUS RECENT', async (t) => {
  const r = await imaplib(app, `
c = login('alice')
out['status_before'] = c.status('INBOX', '(RECENT)')
c.append('INBOX', None, '"25-Feb-2026 12:00:00 +0000"', b'From: w@example.com\\r\\nSubject: Re: [list] simple message\\r\\nDate: Wed, 25 Feb 2026 10:00:00 +0000\\r\\n\\r\\nreply\\r\\n')
c.append('INBOX', None, '"26-Feb-2026 12:00:00 +0000"', b'From: v@example.com\\r\\nSubject: Fwd: simple message (fwd)\\r\\nDate: Thu, 26 Feb 2026 10:00:00 +0000\\r\\n\\r\\nforward\\r\\n')
out['status_after'] = c.status('INBOX', '(RECENT)')
c.select('INBOX')
def srt(*a):
    return c.sort(*a)[1][0].decode()
out['subject'] = srt('(SUBJECT)', 'UTF-8', 'ALL')
out['rsize'] = srt('(REVERSE SIZE)', 'UTF-8', 'UNDELETED')
out['date'] = srt('(DATE)', 'UTF-8', 'ALL')
out['from'] = srt('(FROM)', 'UTF-8', 'ALL')
out['rfrom'] = srt('(REVERSE FROM)', 'UTF-8', 'ALL')
out['uid_arrival'] = c.uid('SORT', '(ARRIVAL)', 'UTF-8', 'SEEN')[1][0].decode()
out['bad'] = attempt(lambda: c.sort('(NOPE)', 'UTF-8', 'ALL'))
out['thread'] = c.thread('ORDEREDSUBJECT', 'UTF-8', 'ALL')[1][0].decode()
out['thread_refs'] = attempt(lambda: c.thread('REFERENCES', 'UTF-8', 'ALL'))
c.logout()
`);
  t.match(r.status_before[1][0], /\(RECENT 0\)/, 'the SEARCH session saw them: no longer recent');
  t.match(r.status_after[1][0], /\(RECENT 2\)/);
  t.equal(r.subject, '1 4 5 3 2', 'base subjects: Re:/[blob]/Fwd:/(fwd) removed, ties by sequence');
  t.equal(r.rsize, '2 1 5 4', 'largest first; UNDELETED left out 3');
  t.equal(r.date, '1 2 3 4 5');
  t.equal(r.from, '1 2 5 4 3');
  t.equal(r.rfrom, '3 4 5 2 1');
  t.equal(r.uid_arrival, '1');
  t.match(r.bad, /BAD/);
  t.equal(r.thread, '(1 (4)(5))(2)(3)');
  t.equal(r.thread_refs[0], 'OK');
});

t.test('THREAD=REFERENCES: parents from References/In-Reply-To, missing parents, subject grouping', async (t) => {
  const r = await imaplib(app, `
c = login('bob')
c.create('Threads')
def m(mid, subj, day, extra=''):
    return ('Message-ID: <%s@x>\\r\\nSubject: %s\\r\\nDate: %02d Mar 2026 10:00:00 +0000\\r\\n%s\\r\\nbody\\r\\n' % (mid, subj, day, extra)).encode()
c.append('Threads', None, None, m('a', 'topic', 1))
c.append('Threads', None, None, m('b', 'Re: topic', 2, 'References: <a@x>\\r\\n'))
c.append('Threads', None, None, m('c', 'Re: topic', 3, 'In-Reply-To: <b@x>\\r\\n'))
c.append('Threads', None, None, m('d', 'other', 4))
c.append('Threads', None, None, m('e', 'Re: other', 5, 'References: <missing@x>\\r\\n'))
c.append('Threads', None, None, m('f', 'Re: topic', 6, 'References: <a@x>\\r\\n'))
c.append('Threads', None, None, m('g', 'lonely', 7))
c.select('Threads')
out['refs'] = c.thread('REFERENCES', 'UTF-8', 'ALL')[1][0].decode()
out['uid_refs'] = c.uid('THREAD', 'REFERENCES', 'UTF-8', 'ALL')[1][0].decode()
out['ordered'] = c.thread('ORDEREDSUBJECT', 'UTF-8', 'ALL')[1][0].decode()
out['subset'] = c.thread('REFERENCES', 'UTF-8', 'NOT', 'SUBJECT', 'other')[1][0].decode()
`);
  t.equal(r.refs, '(1 (2 3)(6))(4 5)(7)');
  t.equal(r.uid_refs, '(1 (2 3)(6))(4 5)(7)');
  t.equal(r.ordered, '(1 (2)(3)(6))(4 5)(7)');
  t.equal(r.subset, '(1 (2 3)(6))(7)');
});
