/**
 * IM-2 shared folders with imaplib: an account's `sharedPath` folder (and its subfolders)
 * appears to the other accounts of its domain under `#Shared/<owner>/`, read-only or writable
 * by the owner's `sharedWrite`; NAMESPACE announces the shared namespace; changes reach a
 * reader that has the shared folder selected.
 */
import t from 'tap';
import { startImapAppliance, imaplib } from './helpers/imap-env.ts';

const app = await startImapAppliance({}, ['alice', 'bob', 'carol']);
await app.store.accounts.update('alice@example.test', { sharedPath: 'Team', sharedWrite: false });
await app.store.accounts.update('carol@example.test', { sharedPath: 'Projects', sharedWrite: true });
t.teardown(() => app.close());

t.test('read-only and writable shared folders under #Shared/', async (t) => {
  const r = await imaplib(app, `
a = login('alice')
a.create('Team/Sub')
a.create('Private')
a.append('Team', None, None, b'Subject: team news\\r\\n\\r\\nhello team\\r\\n')
a.append('Private', None, None, b'Subject: secret\\r\\n\\r\\nno\\r\\n')
c = login('carol')
c.create('Projects')
b = login('bob')
out['ns'] = b.namespace()
out['list'] = b.list('""', '#Shared/*')
out['list_all'] = b.list()
out['status'] = b.status('#Shared/alice/Team', '(MESSAGES)')
out['ro_select'] = attempt(lambda: b.select('#Shared/alice/Team'))
b.select('#Shared/alice/Team', readonly=True)
out['ro_fetch'] = b.fetch('1', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')[1][0][1]
out['ro_store'] = attempt(lambda: b.store('1', '+FLAGS', '(\\\\Seen)'))
out['ro_append'] = attempt(lambda: b.append('#Shared/alice/Team', None, None, b'Subject: x\\r\\n\\r\\nx\\r\\n'))
out['private'] = b.select('#Shared/alice/Private')
out['create'] = b.create('#Shared/bob/Mine')
out['delete'] = b.delete('#Shared/alice/Team')
out['rw_select'] = b.select('#Shared/carol/Projects')
out['rw_append'] = b.append('#Shared/carol/Projects', '(\\\\Flagged)', None, b'Subject: from bob\\r\\n\\r\\nshared write\\r\\n')
c.select('Projects')
b.untagged_responses.pop('EXISTS', None)
out['owner_sees'] = c.fetch('1', '(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])')[1]
c.append('Projects', None, None, b'Subject: from carol\\r\\n\\r\\nowner write\\r\\n')
time.sleep(0.1)
b.noop()
out['reader_exists'] = b.untagged_responses.pop('EXISTS', None)
out['copy_into_ro'] = b.copy('1', '#Shared/alice/Team')
out['myrights_ro'] = b.myrights('#Shared/alice/Team')
out['myrights_rw'] = b.myrights('#Shared/carol/Projects')
out['myrights_own'] = b.myrights('INBOX')
out['getacl_other'] = b.getacl('#Shared/alice/Team')
out['getacl_own'] = a.getacl('Team')
out['getacl_private'] = a.getacl('Private')
imaplib.Commands.setdefault('LISTRIGHTS', ('AUTH', 'SELECTED'))
out['listrights'] = a._simple_command('LISTRIGHTS', 'Team', 'anyone')
out['listrights_data'] = a.untagged_responses.pop('LISTRIGHTS', None)
out['setacl'] = a.setacl('Team', 'bob@example.test', 'lrswi')
out['deleteacl'] = a.deleteacl('Team', 'anyone')
`);
  t.same(r.ns, ['OK', ['(("" "/")) NIL (("#Shared/" "/"))']]);
  t.same(r.list[1], [
    '(\\Noselect \\HasChildren) "/" "#Shared/alice"',
    '(\\HasChildren) "/" "#Shared/alice/Team"',
    '(\\HasNoChildren) "/" "#Shared/alice/Team/Sub"',
    '(\\Noselect \\HasChildren) "/" "#Shared/carol"',
    '(\\HasNoChildren) "/" "#Shared/carol/Projects"',
  ]);
  t.notMatch(JSON.stringify(r.list_all), /Private/, 'unpublished folders stay private');
  t.match(r.status[1][0], /\(MESSAGES 1\)/);
  t.match(r.ro_select, /is not writable/, 'SELECT of a read-only shared folder answers READ-ONLY');
  t.equal(r.ro_fetch, 'Subject: team news\r\n\r\n');
  t.match(r.ro_store, /READ-ONLY|EXC/);
  t.match(r.ro_append, /NOPERM/);
  t.equal(r.private[0], 'NO');
  t.equal(r.create[0], 'NO');
  t.equal(r.delete[0], 'NO');
  t.equal(r.rw_select[0], 'OK');
  t.match(r.rw_append[1][0], /APPENDUID/);
  t.match(JSON.stringify(r.owner_sees), /from bob/, 'the owner sees what the writer appended');
  t.same(r.reader_exists, ['2'], 'the reader hears of the owner\'s change');
  t.equal(r.copy_into_ro[0], 'NO');
  t.same(r.myrights_ro[1], ['"#Shared/alice/Team" lr'], 'RFC 4314 MYRIGHTS: read-only share');
  t.same(r.myrights_rw[1], ['"#Shared/carol/Projects" lrswite']);
  t.same(r.myrights_own[1], ['"INBOX" lrswipkxtea']);
  t.equal(r.getacl_other[0], 'NO', 'only the owner reads the ACL');
  t.same(r.getacl_own[1], ['"Team" "alice@example.test" lrswipkxtea anyone lr']);
  t.same(r.getacl_private[1], ['"Private" "alice@example.test" lrswipkxtea']);
  t.equal(r.listrights[0], 'OK');
  t.match(r.listrights_data[0], /^"Team" "anyone" "" l r s w i p k x t e a$/);
  t.equal(r.setacl[0], 'NO');
  t.equal(r.deleteacl[0], 'NO');
});
