// Table tests of the mailbox and session commands' parsers (SELECT, STATUS, LIST, CREATE, …):
// argument text in, typed arguments or the BAD's text out.
import t from 'tap';
import { parseArgs, refusal } from './parse-table.ts';
import { AUTHENTICATE } from './authenticate.ts';
import { CAPABILITY } from './capability.ts';
import { CLOSE, UNSELECT } from './close.ts';
import { COMPRESS } from './compress.ts';
import { IDLE } from './idle.ts';
import { LOGIN } from './login.ts';
import { LOGOUT } from './logout.ts';
import { ENABLE, ID, NAMESPACE } from './misc.ts';
import { STARTTLS } from './starttls.ts';
import { STATUS } from './status.ts';

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
