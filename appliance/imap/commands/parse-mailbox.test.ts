// Table tests of the mailbox and session commands' parsers (SELECT, STATUS, LIST, CREATE, …):
// argument text in, typed arguments or the BAD's text out.
import t from 'tap';
import { parseArgs, refusal } from './parse-table.ts';
import { DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS, SETACL } from './acl.ts';
import { APPEND } from './append.ts';
import { AUTHENTICATE } from './authenticate.ts';
import { CAPABILITY } from './capability.ts';
import { CLOSE, UNSELECT } from './close.ts';
import { COMPRESS } from './compress.ts';
import { CREATE } from './create.ts';
import { DELETE } from './delete.ts';
import { IDLE } from './idle.ts';
import { LIST, LSUB } from './list.ts';
import { LOGIN } from './login.ts';
import { LOGOUT } from './logout.ts';
import { ENABLE, ID, NAMESPACE } from './misc.ts';
import { GETQUOTA, GETQUOTAROOT, SETQUOTA } from './quota.ts';
import { RENAME } from './rename.ts';
import { EXAMINE, SELECT } from './select.ts';
import { STARTTLS } from './starttls.ts';
import { STATUS } from './status.ts';
import { SUBSCRIBE, UNSUBSCRIBE } from './subscribe.ts';

t.test('STATUS', async (t) => {
  t.same(parseArgs(STATUS, 'inbox (MESSAGES UIDNEXT)'), { name: 'INBOX', items: ['MESSAGES', 'UIDNEXT'] });
  t.same(parseArgs(STATUS, '"Entw&APw-rfe" (size deleted)'), { name: 'Entwürfe', items: ['SIZE', 'DELETED'] }, 'modified UTF-7 name');
  t.same(parseArgs(STATUS, '"Entw&APw-rfe" (UNSEEN)', { utf8Names: true }).name, 'Entw&APw-rfe', 'UTF-8 names taken as they are');
  t.match(refusal(STATUS, 'INBOX ()'), /status item/);
  t.match(refusal(STATUS, 'INBOX (MESSAGES BOGUS)'), /status item/);
  t.match(refusal(STATUS, 'INBOX MESSAGES'), /Expected status items/);
});

t.test('commands without arguments parse to nothing', async (t) => {
  for (const spec of [CAPABILITY, LOGOUT, STARTTLS, IDLE, CLOSE, UNSELECT, NAMESPACE]) t.equal(parseArgs(spec, ''), undefined, spec.syntax);
});

t.test('LOGIN', async (t) => {
  t.same(parseArgs(LOGIN, 'alice secret'), { login: 'alice', password: 'secret' });
  t.same(parseArgs(LOGIN, '"al ice@example.test" {6}\r\np"a ss'), { login: 'al ice@example.test', password: 'p"a ss' }, 'quoted and literal');
  t.match(refusal(LOGIN, '(alice) secret'), /Expected user name/);
  t.match(refusal(LOGIN, 'alice (secret)'), /Expected password/);
});

t.test('AUTHENTICATE', async (t) => {
  t.same(parseArgs(AUTHENTICATE, 'plain'), { mechanism: 'PLAIN' });
  t.same(parseArgs(AUTHENTICATE, 'PLAIN AGFsaWNlAHNlY3JldA=='), { mechanism: 'PLAIN', initial: 'AGFsaWNlAHNlY3JldA==' }, 'SASL-IR');
  t.same(parseArgs(AUTHENTICATE, 'X-UNKNOWN ='), { mechanism: 'X-UNKNOWN', initial: '=' }, 'an unknown mechanism is for run (NO [CANNOT])');
  t.match(refusal(AUTHENTICATE, '"PLAIN"'), /Expected mechanism/);
  t.match(refusal(AUTHENTICATE, 'PLAIN "AGFsaWNl"'), /Expected initial response/);
});

t.test('COMPRESS', async (t) => {
  t.same(parseArgs(COMPRESS, 'DEFLATE'), { mechanism: 'DEFLATE' });
  t.same(parseArgs(COMPRESS, 'deflate'), { mechanism: 'DEFLATE' });
  t.match(refusal(COMPRESS, 'GZIP'), /Unknown compression mechanism/);
  t.match(refusal(COMPRESS, '"DEFLATE"'), /Unknown compression mechanism/);
});

t.test('ID', async (t) => {
  t.same(parseArgs(ID, 'NIL'), { fields: null });
  t.same(parseArgs(ID, '("name" "imaplib" "version" NIL)'), { fields: [['name', 'imaplib'], ['version', null]] });
  t.same(parseArgs(ID, '()'), { fields: [] });
  t.match(refusal(ID, '("name")'), /^Syntax: ID /, 'a field without its value');
  t.match(refusal(ID, 'name'), /^Syntax: ID /);
  t.match(refusal(ID, `(${'"f" "v" '.repeat(31).trim()})`), /^Syntax: ID /, 'over 30 pairs (RFC 2971 §3.3)');
});

t.test('ENABLE', async (t) => {
  t.same(parseArgs(ENABLE, 'condstore utf8=accept'), { capabilities: ['CONDSTORE', 'UTF8=ACCEPT'] });
  t.same(parseArgs(ENABLE, 'X-FOO "QRESYNC" IMAP4rev2'), { capabilities: ['X-FOO', 'IMAP4REV2'] }, 'unknown names kept, strings ignored');
});

t.test('commands on one mailbox: DELETE, SUBSCRIBE, UNSUBSCRIBE, MYRIGHTS, GETACL, GETQUOTAROOT', async (t) => {
  for (const spec of [DELETE, SUBSCRIBE, UNSUBSCRIBE, MYRIGHTS, GETACL, GETQUOTAROOT]) {
    t.same(parseArgs(spec, 'inbox/Sub'), { name: 'INBOX/Sub' }, `${spec.syntax}: INBOX in any case`);
    t.same(parseArgs(spec, '"Entw&APw-rfe"'), { name: 'Entwürfe' }, `${spec.syntax}: modified UTF-7`);
    t.same(parseArgs(spec, '{3}\r\nA b'), { name: 'A b' }, `${spec.syntax}: a literal`);
    t.match(refusal(spec, '(Work)'), /Expected mailbox name/, spec.syntax);
    t.match(refusal(spec, '()'), /Expected mailbox name/, spec.syntax);
  }
});

t.test('CREATE', async (t) => {
  t.same(parseArgs(CREATE, 'Work/'), { name: 'Work' }, 'a trailing delimiter is dropped');
  t.same(parseArgs(CREATE, '"Entwürfe/2026"', { utf8Names: true }), { name: 'Entwürfe/2026' });
  t.same(parseArgs(CREATE, 'a&b'), { name: 'a&b' }, 'an & that starts no modified base64 is kept');
  t.match(refusal(CREATE, '(Work)'), /Expected mailbox name/);
  t.match(refusal(CREATE, '(Work/)'), /Expected mailbox name/);
});

t.test('RENAME', async (t) => {
  t.same(parseArgs(RENAME, 'Old New/'), { from: 'Old', to: 'New' });
  t.same(parseArgs(RENAME, 'inbox "Arch&AOk-"'), { from: 'INBOX', to: 'Arché' });
  t.match(refusal(RENAME, '(Old) New'), /Expected mailbox name/);
  t.match(refusal(RENAME, 'Old (New)'), /Expected mailbox name/);
});

t.test('LISTRIGHTS and DELETEACL', async (t) => {
  for (const spec of [LISTRIGHTS, DELETEACL]) {
    t.same(parseArgs(spec, 'Team anyone'), { name: 'Team', identifier: 'anyone' }, spec.syntax);
    t.same(parseArgs(spec, 'INBOX "bob@example.test"'), { name: 'INBOX', identifier: 'bob@example.test' }, spec.syntax);
    t.match(refusal(spec, '(Team) anyone'), /Expected mailbox name/, spec.syntax);
    t.match(refusal(spec, 'Team (anyone)'), /Expected identifier/, spec.syntax);
  }
});

t.test('SETACL', async (t) => {
  t.same(parseArgs(SETACL, 'Team bob@example.test lrswi'), { name: 'Team', identifier: 'bob@example.test', mode: 'set', rights: 'lrswi' });
  t.match(parseArgs(SETACL, 'Team anyone +w'), { mode: 'add', rights: 'w' });
  t.match(parseArgs(SETACL, 'Team anyone "-rs"'), { mode: 'remove', rights: 'rs' });
  t.match(refusal(SETACL, 'Team anyone (l r)'), /Expected rights/);
  t.match(refusal(SETACL, 'Team (anyone) lr'), /Expected identifier/);
});

t.test('GETQUOTA and SETQUOTA', async (t) => {
  t.same(parseArgs(GETQUOTA, '""'), { root: '' });
  t.same(parseArgs(GETQUOTA, 'user.bob'), { root: 'user.bob' }, 'an unknown root is for run (NO [NONEXISTENT])');
  t.match(refusal(GETQUOTA, '("")'), /Expected quota root/);
  t.match(refusal(GETQUOTA, '()'), /Expected quota root/);
  t.same(parseArgs(SETQUOTA, '"" (storage 512)'), { root: '', limits: [['STORAGE', 512]] });
  t.same(parseArgs(SETQUOTA, '"" ()'), { root: '', limits: [] }, 'an empty list removes the limits (RFC 9208 §4.3.3)');
  t.match(refusal(SETQUOTA, '"" (STORAGE)'), /Invalid quota resource limit/);
  t.match(refusal(SETQUOTA, '"" (STORAGE lots)'), /Invalid quota resource limit/);
  t.match(refusal(SETQUOTA, '"" STORAGE'), /Expected resource limits/);
  t.match(refusal(SETQUOTA, '() (STORAGE 1)'), /Expected quota root/);
});

t.test('SELECT and EXAMINE', async (t) => {
  for (const spec of [SELECT, EXAMINE]) {
    t.same(parseArgs(spec, 'inbox'), { name: 'INBOX', condstore: false, qresync: null }, spec.syntax);
    t.same(parseArgs(spec, 'Work (condstore)'), { name: 'Work', condstore: true, qresync: null });
    t.same(parseArgs(spec, 'INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))'), {
      name: 'INBOX', condstore: false,
      qresync: { uidValidity: 67890007, modseq: 20050715194045000, known: [[41, 41], [43, 211], [214, 541]] },
    }, 'RFC 7162 §3.2.5.2 example');
    t.same(parseArgs(spec, 'INBOX (QRESYNC (1 0))').qresync, { uidValidity: 1, modseq: 0, known: null }, 'no known UIDs');
    t.same(parseArgs(spec, 'INBOX (QRESYNC (1 5 1:9 (1:3 10:12)))').qresync?.known, [[1, 9]], 'the seq-match-data is skipped');
    t.match(refusal(spec, '(INBOX)'), /Expected mailbox name/);
    t.match(refusal(spec, 'INBOX CONDSTORE'), /Expected select parameters/);
    t.match(refusal(spec, 'INBOX (CONDSTORE BOGUS)'), /Unknown select parameter/);
    t.match(refusal(spec, 'INBOX (QRESYNC)'), /Expected QRESYNC parameters/);
    t.match(refusal(spec, 'INBOX (QRESYNC (0 5))'), /Invalid QRESYNC parameters/, 'UIDVALIDITY is nonzero');
    t.match(refusal(spec, 'INBOX (QRESYNC (1 x))'), /Invalid QRESYNC parameters/);
    t.match(refusal(spec, 'INBOX (QRESYNC (1 5 0:x))'), /Invalid known UIDs/);
  }
});

t.test('LIST', async (t) => {
  const plain = { selection: [], returns: [], status: null, delimiterOnly: false, extended: false };
  t.same(parseArgs(LIST, '"" *'), { ...plain, patterns: ['*'] });
  t.same(parseArgs(LIST, '"" ""'), { ...plain, patterns: [], delimiterOnly: true }, 'the delimiter query');
  t.same(parseArgs(LIST, 'Work/ %'), { ...plain, patterns: ['Work/%'] }, 'the reference goes before the pattern');
  t.same(parseArgs(LIST, '"" "Entw&APw-rfe/*"'), { ...plain, patterns: ['Entwürfe/*'] }, 'modified UTF-7');
  t.same(parseArgs(LIST, '"" "Entw&APw-rfe/*"', { utf8Names: true }).patterns, ['Entw&APw-rfe/*'], 'UTF-8 names as they are');
  t.same(parseArgs(LIST, '(subscribed recursivematch) "" (INBOX "" Work/*) RETURN (children STATUS (messages unseen))'), {
    selection: ['SUBSCRIBED', 'RECURSIVEMATCH'], returns: ['CHILDREN', 'STATUS'], status: ['MESSAGES', 'UNSEEN'],
    patterns: ['INBOX', 'Work/*'], delimiterOnly: false, extended: true,
  }, 'RFC 5258 extended form');
  t.same(parseArgs(LIST, '() "" ""'), { ...plain, patterns: [], delimiterOnly: true, extended: true }, 'empty selection options: still extended');
  t.same(parseArgs(LIST, '(SPECIAL-USE) "" ""').delimiterOnly, false, 'with a selection option no delimiter query');
  t.match(refusal(LIST, '(BOGUS) "" *'), /Unknown LIST selection option/);
  t.match(refusal(LIST, '(RECURSIVEMATCH) "" *'), /RECURSIVEMATCH needs another selection option/);
  t.match(refusal(LIST, '"" ()'), /Expected a mailbox pattern/);
  t.match(refusal(LIST, '(a) *'), /Unknown LIST selection option/);
  t.match(refusal(LIST, '"" (a (b))'), /Expected mailbox pattern/);
  t.match(refusal(LIST, '"" * CHILDREN'), /Expected RETURN/);
  t.match(refusal(LIST, '"" * RETURN (BOGUS)'), /Unknown LIST return option/);
  t.match(refusal(LIST, '"" * RETURN (STATUS (BOGUS))'), /Invalid status item/);
  t.match(refusal(LIST, '"" * RETURN () extra'), /Unexpected LIST argument/);
});

t.test('LSUB', async (t) => {
  t.same(parseArgs(LSUB, '"" *'), { selection: ['SUBSCRIBED'], returns: [], status: null, patterns: ['*'], delimiterOnly: false, extended: false });
  t.same(parseArgs(LSUB, 'Work/ %').patterns, ['Work/%']);
  t.same(parseArgs(LSUB, '"" ""').delimiterOnly, false, 'LSUB has no delimiter query');
  t.match(refusal(LSUB, '() *'), /Expected reference/);
  t.match(refusal(LSUB, '"" (*)'), /Expected mailbox pattern/);
});

t.test('APPEND', async (t) => {
  const msg = 'Subject: x\r\n\r\nhi\r\n';
  const lit = `{${msg.length}}\r\n${msg}`;
  const a = parseArgs(APPEND, `Sent ${lit}`);
  t.same({ ...a, message: a.message.toString() }, { name: 'Sent', flags: [], date: null, message: msg, binary: false, utf8: false });
  const b = parseArgs(APPEND, `inbox (\\seen $Forwarded) "07-Dec-2026 02:30:00 +0100" ~${lit}`);
  t.same([b.name, b.flags, b.date?.toISOString(), b.binary, b.utf8], ['INBOX', ['\\Seen', '$Forwarded'], '2026-12-07T01:30:00.000Z', true, false]);
  const c = parseArgs(APPEND, `INBOX UTF8 (~${lit})`);
  t.same([c.message.toString(), c.binary, c.utf8], [msg, true, true], 'RFC 6855 §4 UTF8 (literal8)');
  t.match(refusal(APPEND, 'INBOX "Subject: x"'), /Expected the message as a literal/);
  t.match(refusal(APPEND, `INBOX UTF8 (${lit})`), /Expected UTF8 \(~\{n\} message\)/, 'UTF8 wants a literal8');
  t.match(refusal(APPEND, 'INBOX {3}\r\na\0b'), /NULs needs a literal8/);
  t.same(parseArgs(APPEND, 'INBOX ~{3}\r\na\0b').message, Buffer.from('a\0b'), 'NULs in a literal8');
  t.match(refusal(APPEND, `INBOX "yesterday" ${lit}`), /Invalid date-time/);
  t.match(refusal(APPEND, `INBOX (\\Bogus) ${lit}`), /Invalid system flag/);
  t.match(refusal(APPEND, `INBOX NOW ${lit}`), /Invalid APPEND argument/);
  t.match(refusal(APPEND, `(INBOX) ${lit}`), /Expected mailbox name/);
});
