/**
 * Changing mail over IMAP with imaplib: STORE (+/-/replace, .SILENT), COPY/MOVE with COPYUID
 * (UIDPLUS, MOVE), EXPUNGE and UID EXPUNGE, CLOSE/UNSELECT, EXAMINE read-only, CONDSTORE
 * (MODSEQ, CHANGEDSINCE, UNCHANGEDSINCE), QUOTA, ENABLE and ID.
 */
import t from 'tap';
import { startImapAppliance, imaplib } from './helpers/imap-env.ts';
import { seedAccounts } from './helpers/appliance.ts';

const app = await startImapAppliance({}, ['alice']);
await seedAccounts(app, 'example.test', ['erin'], { quota: 10_000 });
t.teardown(() => app.close());

const fill = (n: number) => `
for i in range(${n}):
    c.append('INBOX', None, None, ('Subject: m%d\\r\\n\\r\\nbody %d\\r\\n' % (i + 1, i + 1)).encode())
`;

t.test('STORE, COPY, MOVE, EXPUNGE, UID EXPUNGE, CLOSE, UNSELECT, EXAMINE', async (t) => {
  const r = await imaplib(app, `
c = login('alice')
${fill(6)}
c.select('INBOX')
c.untagged_responses.pop('FLAGS', None)
out['add'] = c.store('1:2', '+FLAGS', '(\\\\Seen $Work)')
out['flags_announced'] = c.untagged_responses.pop('FLAGS', None)
out['remove'] = c.store('2', '-FLAGS', '$Work')
out['replace'] = c.store('3', 'FLAGS', '(\\\\Answered)')
out['silent'] = c.store('4', '+FLAGS.SILENT', '(\\\\Flagged)')
out['uidstore'] = c.uid('STORE', '5', '+FLAGS', '(\\\\Draft)')
out['badflag'] = attempt(lambda: c.store('1', '+FLAGS', '(\\\\Bogus)'))
out['copy'] = c.copy('1:2', 'Trash')
out['copy_missing'] = c.copy('1', 'Nope')
c.create('Archive')
out['move'] = c._simple_command('MOVE', '3', 'Archive')
out['move_untagged'] = c.untagged_responses.pop('OK', None)
out['move_expunge'] = c.untagged_responses.pop('EXPUNGE', None)
out['after_move'] = c.fetch('1:*', '(UID)')[1]
c.store('1', '+FLAGS', '(\\\\Deleted)')
c.store('4', '+FLAGS', '(\\\\Deleted)')
out['uidexpunge'] = c.uid('EXPUNGE', '6')
out['uidexpunge_data'] = c.untagged_responses.pop('EXPUNGE', None)
out['expunge'] = c.expunge()
out['left'] = c.fetch('1:*', '(UID FLAGS)')[1]
out['trash'] = c.select('Trash')
out['trash_fetch'] = c.fetch('1:*', '(UID FLAGS)')[1]
out['unselect'] = c.unselect()
out['examine'] = c.select('INBOX', readonly=True)
out['ro_store'] = attempt(lambda: c.store('1', '+FLAGS', '(\\\\Seen)'))
out['ro_peek'] = c.fetch('2', '(BODY[])')[1][0][0]
out['ro_flags'] = c.fetch('2', '(FLAGS)')[1]
c.select('INBOX')
c.store('1', '+FLAGS', '(\\\\Deleted)')
out['close'] = c.close()
c.select('INBOX')
out['after_close'] = c.fetch('1:*', '(UID)')[1]
c.logout()
`);
  t.same(r.add[1], ['1 (FLAGS (\\Seen $Work \\Recent))', '2 (FLAGS (\\Seen $Work \\Recent))']);
  t.same(r.remove[1], ['2 (FLAGS (\\Seen \\Recent))']);
  t.same(r.flags_announced, ['(\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)'], 'a new keyword is announced in * FLAGS');
  t.same(r.replace[1], ['3 (FLAGS (\\Answered \\Recent))']);
  t.same(r.silent[1], [null], '.SILENT sends no FETCH');
  t.same(r.uidstore[1], ['5 (UID 5 FLAGS (\\Draft \\Recent))']);
  t.match(r.badflag, /BAD/);
  t.match(r.copy[1][0], /^\[COPYUID \d+ 1:2 1:2\] COPY completed$/);
  t.match(r.copy_missing[1][0], /TRYCREATE/);
  t.equal(r.move[0], 'OK');
  t.match(r.move_untagged[0], /^\[COPYUID \d+ 3 1\]/);
  t.same(r.move_expunge, ['3']);
  t.same(r.after_move, ['1 (UID 1)', '2 (UID 2)', '3 (UID 4)', '4 (UID 5)', '5 (UID 6)']);
  t.equal(r.uidexpunge[0], 'OK');
  t.same(r.uidexpunge_data, null, 'UID EXPUNGE 6 removes nothing that is not \\Deleted');
  t.same(r.expunge[1], ['1', '3'], 'EXPUNGE numbers shift as each is sent (UIDs 1 and 5)');
  t.same(r.left, ['1 (UID 2 FLAGS (\\Seen \\Recent))', '2 (UID 4 FLAGS (\\Flagged \\Recent))', '3 (UID 6 FLAGS (\\Recent))']);
  t.same(r.trash_fetch, ['1 (UID 1 FLAGS (\\Seen $Work \\Recent))', '2 (UID 2 FLAGS (\\Seen \\Recent))'], 'copies keep their flags');
  t.equal(r.unselect[0], 'OK');
  t.equal(r.examine[0], 'OK');
  t.match(r.ro_store, /READ-ONLY|EXC/);
  t.notMatch(JSON.stringify(r.ro_flags), /\\\\Seen/, 'BODY[] on EXAMINE does not set \\Seen');
  t.equal(r.close[0], 'OK');
  t.same(r.after_close, ['1 (UID 4)', '2 (UID 6)'], 'CLOSE removed the \\Deleted message silently');
});

t.test('CONDSTORE: ENABLE, MODSEQ, CHANGEDSINCE, UNCHANGEDSINCE, SEARCH MODSEQ; ID; QUOTA', async (t) => {
  const r = await imaplib(app, `
c = login('erin')
${fill(3)}
out['id'] = c._simple_command('ID', '("name" "test")')
out['id_data'] = c.untagged_responses.pop('ID', None)
out['enable'] = c._simple_command('ENABLE', 'CONDSTORE')
out['enabled'] = c.untagged_responses.pop('ENABLED', None)
out['select'] = c.select('INBOX')
out['hms'] = c.untagged_responses.get('HIGHESTMODSEQ')
out['modseq'] = c.fetch('1:*', '(MODSEQ)')[1]
m = int(out['modseq'][2].decode().split('MODSEQ (')[1].rstrip('))'))
c.store('2', '+FLAGS', '(\\\\Seen)')
out['changed'] = c.fetch('1:*', '(FLAGS) (CHANGEDSINCE %d)' % m)[1]
out['unchanged_fail'] = c._simple_command('STORE', '1:2', '(UNCHANGEDSINCE %d)' % (m - 1), '+FLAGS', '(\\\\Flagged)')
out['unchanged_data'] = c.untagged_responses.pop('FETCH', None)
out['search_modseq'] = c.search(None, 'MODSEQ', str(m + 1))[1]
out['quotaroot'] = c.getquotaroot('INBOX')
out['quota'] = c.getquota('""')
out['setquota'] = attempt(lambda: c.setquota('""', '(STORAGE 1)'))
big = b'Subject: big\\r\\n\\r\\n' + b'x' * 20000 + b'\\r\\n'
out['overquota'] = attempt(lambda: c.append('INBOX', None, None, big))
c.logout()
`);
  t.match(r.id_data[0], /"name" "mailserver"/);
  t.same(r.enabled, ['CONDSTORE']);
  t.match(r.hms[0], /^\d+$/);
  t.equal(r.modseq.length, 3);
  t.equal(r.changed.length, 1);
  t.match(r.changed[0], /^2 \(FLAGS \(\\Seen \\Recent\) MODSEQ \(\d+\)\)$/);
  t.equal(r.unchanged_fail[0], 'OK');
  t.match(r.unchanged_fail[1][0], /^\[MODIFIED 2\]/, 'message 2 changed after the given modseq');
  t.match(JSON.stringify(r.unchanged_data), /1 \(FLAGS \(\\\\Flagged \\\\Recent\) MODSEQ/);
  t.match(r.search_modseq[0], /^2 \(MODSEQ \d+\)$|^1 2 \(MODSEQ \d+\)$/);
  t.match(r.quotaroot[1][0][0], /^"INBOX" ""$/);
  t.match(r.quotaroot[1][1][0], /^"" \(STORAGE \d+ 9\)$/);
  t.match(r.quota[1][0], /^"" \(STORAGE \d+ 9\)$/);
  t.match(r.setquota, /NOPERM|EXC/);
  t.match(r.overquota, /OVERQUOTA/);
});

t.test('QRESYNC: SELECT with (QRESYNC ...) gives VANISHED (EARLIER) and changed flags; live VANISHED', async (t) => {
  const r = await imaplib(app, `
c = login('alice')
c.create('Q')
for i in range(5):
    c.append('Q', None, None, ('Subject: q%d\\r\\n\\r\\nq\\r\\n' % i).encode())
out['enable'] = c._simple_command('ENABLE', 'QRESYNC')
out['enabled'] = c.untagged_responses.pop('ENABLED', None)
c.select('Q')
uv = c.untagged_responses['UIDVALIDITY'][0].decode()
hms = int(c.untagged_responses['HIGHESTMODSEQ'][0].decode())
c.unselect()
# another session changes things while this one is away
b = login('alice')
b.select('Q')
b.store('2', '+FLAGS', '(\\\\Deleted)')
b.store('4', '+FLAGS', '(\\\\Deleted)')
b.expunge()
b.store('1', '+FLAGS', '(\\\\Flagged)')
c.untagged_responses.clear()
out['resync'] = c._simple_command('SELECT', 'Q', '(QRESYNC (%s %d 1:5))' % (uv, hms))
out['vanished'] = c.untagged_responses.pop('VANISHED', None)
out['fetch'] = c.untagged_responses.pop('FETCH', None)
c.state = 'SELECTED'
out['uidfetch'] = c._simple_command('UID', 'FETCH', '1:*', '(FLAGS)', '(CHANGEDSINCE %d VANISHED)' % hms)
out['uidfetch_vanished'] = c.untagged_responses.pop('VANISHED', None)
out['uidfetch_fetch'] = c.untagged_responses.pop('FETCH', None)
# live: another session expunges while this one has Q selected
b.store('1', '+FLAGS', '(\\\\Deleted)')
b.expunge()
c.noop()
out['live'] = c.untagged_responses.pop('VANISHED', None)
out['live_expunge'] = c.untagged_responses.pop('EXPUNGE', None)
c.untagged_responses.clear()
out['closed'] = c._simple_command('SELECT', 'INBOX')
out['closed_ok'] = c.untagged_responses.get('CLOSED')
out['no_enable'] = attempt(lambda: b._simple_command('SELECT', 'Q', '(QRESYNC (1 1))'))
`);
  t.same(r.enabled, ['QRESYNC']);
  t.equal(r.resync[0], 'OK');
  t.same(r.vanished, ['(EARLIER) 2,4'], 'VANISHED (EARLIER) lists the UIDs expunged since the modseq');
  t.equal(r.fetch.length, 1);
  t.match(r.fetch[0], /^1 \(UID 1 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$/);
  t.same(r.uidfetch_vanished, ['(EARLIER) 2,4']);
  t.match(JSON.stringify(r.uidfetch_fetch), /UID 1 FLAGS/);
  t.same(r.live, ['1'], 'live expunge announced as VANISHED');
  t.same(r.live_expunge, null, 'no EXPUNGE once QRESYNC is enabled');
  t.ok(r.closed_ok !== null && r.closed_ok !== undefined, '* OK [CLOSED] before the new selection');
  t.match(r.no_enable, /BAD|QRESYNC is not enabled/);
});

t.test('partial FETCH of a large (file-stored) message reads only the range', async (t) => {
  const r = await imaplib(app, `
c = login('alice')
c.create('Big')
body = b''.join(b'%07d\\r\\n' % i for i in range(40000))
msg = b'Subject: big\\r\\n\\r\\n' + body
c.append('Big', None, None, msg)
c.select('Big')
out['size'] = len(msg)
out['tail'] = c.fetch('1', '(BODY.PEEK[]<%d.100>)' % (len(msg) - 9))[1][0]
out['mid'] = c.fetch('1', '(BODY.PEEK[]<16.9>)')[1][0]
out['past'] = c.fetch('1', '(BODY.PEEK[]<%d.5>)' % (len(msg) + 10))[1][0]
out['whole_len'] = len(c.fetch('1', '(BODY.PEEK[])')[1][0][1])
`);
  t.ok(r.size > 256 * 1024, 'stored as a file');
  t.match(r.tail[0], new RegExp(`BODY\\[\\]<${r.size - 9}> \\{9\\}$`));
  t.equal(r.tail[1], '0039999\r\n');
  t.equal(r.mid[1], '0000000\r\n');
  t.match(r.past, /BODY\[\]<\d+> ""|BODY\[\]<\d+> \{0\}/);
  t.equal(r.whole_len, r.size);
});

t.test('an expunge by another session is reported even when a later flag change holds the newest MODSEQ', async (t) => {
  // the view learns of expunges from the MODSEQ they were given (the `expunged` records), not
  // from whether the newest change is a message row: here it is, and the expunge came before it
  const r = await imaplib(app, `
a = login('alice')
a.create('Both')
for i in range(3):
    a.append('Both', None, None, ('Subject: both %d\\r\\n\\r\\nbody\\r\\n' % i).encode())
a.select('Both')
b = login('alice')
b.select('Both')
b.store('1', '+FLAGS.SILENT', '(\\\\Deleted)')
b.expunge()
b.store('2', '+FLAGS.SILENT', '(\\\\Flagged)')
a.untagged_responses.clear()
a.noop()
out['expunge'] = a.untagged_responses.pop('EXPUNGE', None)
out['fetch'] = a.untagged_responses.pop('FETCH', None)
out['left'] = a.fetch('1:*', '(FLAGS)')[1]
`);
  t.same(r.expunge, ['1'], '* 1 EXPUNGE reaches the other session');
  t.match(r.fetch?.join(' ') ?? '', /\\Flagged/, 'and the flag change after it');
  t.equal(r.left.length, 2, 'two messages left in its view');
});

t.test("a session's own APPEND and STORE go into its view at once; another session's changes in between are all announced", async (t) => {
  // the appending/storing session takes its own change in without reading it back only while
  // nothing else changed the mailbox; here session b changes it between a's commands
  const r = await imaplib(app, `
a = login('alice')
a.create('Own')
a.select('Own')
a.untagged_responses.clear()
out['append1'] = a.append('Own', '(\\\\Flagged)', None, b'Subject: own 1\\r\\n\\r\\nbody\\r\\n')
out['exists1'] = a.untagged_responses.pop('EXISTS', None)
out['recent1'] = a.untagged_responses.pop('RECENT', None)
out['fetch1'] = a.fetch('1', '(UID FLAGS EMAILID)')[1]
b = login('alice')
b.append('Own', None, None, b'Subject: from b\\r\\n\\r\\nbody\\r\\n')
b.select('Own')
b.store('1', '+FLAGS.SILENT', '(\\\\Answered)')
a.untagged_responses.clear()
out['append3'] = a.append('Own', None, None, b'Subject: own 3\\r\\n\\r\\nbody\\r\\n')
out['exists3'] = a.untagged_responses.pop('EXISTS', None)
out['fetch_b'] = a.untagged_responses.pop('FETCH', None)
out['store'] = a.store('3', '+FLAGS', '(\\\\Seen)')
b.store('2', '+FLAGS.SILENT', '(\\\\Draft)')
a.untagged_responses.clear()
a.noop()
out['noop_fetch'] = a.untagged_responses.pop('FETCH', None)
out['all'] = a.fetch('1:*', '(UID FLAGS)')[1]
`);
  t.equal(r.append1[0], 'OK');
  t.same(r.exists1, ['1'], 'its own APPEND announced in the APPEND response');
  t.same(r.recent1, ['1'], 'and \\Recent for the session that appended it');
  t.match(r.fetch1[0], /^1 \(UID 1 FLAGS \(\\Flagged \\Recent\) EMAILID \(M[^)]+\)\)$/, 'flags and EMAILID as stored');
  t.same(r.exists3, ['3'], "after another session's APPEND in between, both new messages announced");
  t.match(r.fetch_b?.join(' ') ?? '', /^1 \((UID 1 )?FLAGS \(\\Flagged \\Answered \\Recent\)\)$/, "and the other session's flag change");
  t.match(r.store[1][0], /^3 \(FLAGS \(\\Seen \\Recent\)\)$/);
  t.match(r.noop_fetch?.join(' ') ?? '', /^2 \((UID 2 )?FLAGS \(\\Draft\)\)$/, "a change by another session after its own STORE reaches it");
  t.equal(r.all.length, 3);
  t.match(r.all.join(' '), /UID 1 FLAGS \(\\Flagged \\Answered \\Recent\).*UID 2 FLAGS \(\\Draft\).*UID 3 FLAGS \(\\Seen \\Recent\)/);
});
