/**
 * IMAP4rev1 (RFC 3501) and extensions with Python's imaplib against the running appliance:
 * login paths, mailbox management, APPEND, FETCH of nested MIME, SEARCH (Japanese too),
 * ESEARCH, NAMESPACE. SORT/THREAD: imap-sort-thread.test.ts; changes: imap-changes.test.ts.
 */
import t from 'tap';
import { startImapAppliance, imaplib } from './helpers/imap-env.ts';
import { SIMPLE, nestedMessage } from './helpers/imap-messages.ts';
import { seedAccounts } from './helpers/appliance.ts';

const app = await startImapAppliance({}, ['alice', 'bob', 'carol']);
await seedAccounts(app, 'example.test', ['dave'], { imapDisabled: true });
await seedAccounts(app, 'example.test', ['erin'], { quota: 100_000 });
t.teardown(() => app.close());

t.test('login: LOGINDISABLED in clear, STARTTLS, LOGIN, AUTHENTICATE PLAIN with SASL-IR, implicit TLS', async (t) => {
  const r = await imaplib(app, `
c = plain()
out['caps_clear'] = c.capabilities
out['login_clear'] = attempt(lambda: c.login('alice@example.test', 'pw-alice'))
c.starttls(CTX)
out['caps_tls'] = c.capabilities
out['bad_pw'] = attempt(lambda: c.login('alice@example.test', 'wrong'))
out['login'] = c.login('alice@example.test', 'pw-alice')
out['caps_auth'] = c.capability()
c.logout()
c = tls()
out['plain'] = c.authenticate('PLAIN', lambda _: b'\\0bob@example.test\\0pw-bob')
c.logout()
c = implicit()
# imaplib sends AUTHENTICATE with an initial response when the server has SASL-IR
out['ir'] = c._simple_command('AUTHENTICATE', 'PLAIN', base64.b64encode(b'\\0carol%example.test\\0pw-carol').decode())
out['state'] = c.state
c.state = 'AUTH'
out['noop'] = c.noop()
c.logout()
c = implicit()
steps = iter([b'alice@example.test', b'pw-alice'])
out['sasl_login'] = c.authenticate('LOGIN', lambda challenge: next(steps))
out['sasl_login_challenge'] = True
c.logout()
c = implicit()
out['disabled'] = attempt(lambda: c.login('dave@example.test', 'pw-dave'))
c = implicit()
out['bare_name'] = c.login('alice', 'pw-alice')
`);
  t.ok(r.caps_clear.includes('STARTTLS'));
  t.ok(r.caps_clear.includes('LOGINDISABLED'), 'LOGINDISABLED on cleartext');
  t.notOk(r.caps_clear.includes('AUTH=PLAIN'));
  t.match(r.login_clear, /EXC:.*PRIVACYREQUIRED|EXC:.*LOGINDISABLED/);
  t.notOk(r.caps_tls.includes('STARTTLS'));
  t.ok(r.caps_tls.includes('AUTH=PLAIN'));
  for (const c of ['IMAP4REV1', 'IDLE', 'UIDPLUS', 'MOVE', 'NAMESPACE', 'SPECIAL-USE', 'CONDSTORE', 'QUOTA', 'LITERAL+', 'ID', 'UNSELECT', 'SASL-IR', 'ENABLE', 'ESEARCH']) {
    t.ok(r.caps_tls.includes(c), c);
  }
  t.match(r.bad_pw, /AUTHENTICATIONFAILED/);
  t.equal(r.login[0], 'OK');
  t.equal(r.plain[0], 'OK');
  t.equal(r.ir[0], 'OK', 'SASL-IR initial response accepted');
  t.equal(r.sasl_login[0], 'OK', 'AUTHENTICATE LOGIN');
  t.ok(r.caps_tls.includes('AUTH=LOGIN'));
  t.match(r.disabled, /EXC:.*IMAP access is disabled/, 'AC-7: IMAP disabled per account');
  t.equal(r.bare_name[0], 'OK', 'bare account name when one domain has it');
});

t.test('mailboxes: LIST/LSUB/CREATE/RENAME/DELETE/SUBSCRIBE/STATUS/NAMESPACE, special use, UTF-7', async (t) => {
  const r = await imaplib(app, `
c = login('bob')
out['ns'] = c.namespace()
out['list0'] = c.list()
out['special'] = c.list('""', 'Sent')
out['create'] = c.create('Projects/2026')
out['create_dup'] = c.create('Projects/2026')
out['create_inbox'] = c.create('inbox')
out['list_pct'] = c.list('""', '%')
out['list_sub'] = c.list('Projects/', '*')
out['create_jp'] = c.create('&ZeVnLIqe-')
out['list_jp'] = c.list('""', '&ZeVnLIqe-')
out['rename'] = c.rename('Projects', 'Archive')
out['list_after'] = c.list('""', 'Archive*')
out['subscribe'] = c.subscribe('Archive/2026')
out['lsub'] = c.lsub()
out['unsubscribe'] = c.unsubscribe('Archive/2026')
out['lsub2'] = c.lsub()
out['status'] = c.status('INBOX', '(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)')
out['status_missing'] = c.status('Nope', '(MESSAGES)')
out['delete'] = c.delete('Archive/2026')
out['delete_missing'] = c.delete('Archive/2026')
out['delete_inbox'] = c.delete('INBOX')
out['select_missing'] = c.select('Nope')
out['list_empty'] = c.list('""', '""')
c.logout()
`);
  t.same(r.ns, ['OK', ['(("" "/")) NIL (("#Shared/" "/"))']]);
  const names = (r.list0[1] as string[]).join('\n');
  for (const n of ['Sent', 'Drafts', 'Trash', 'Junk']) {
    t.ok(names.includes(`(\\HasNoChildren \\${n}) "/" "${n}"`), `${n} with its special use`);
  }
  t.match(names, /"INBOX"/);
  t.same(r.special[1], ['(\\HasNoChildren \\Sent) "/" "Sent"']);
  t.equal(r.create[0], 'OK');
  t.equal(r.create_dup[0], 'NO');
  t.equal(r.create_inbox[0], 'NO');
  t.match(r.list_pct[1].join('\n'), /\(\\HasChildren\) "\/" "Projects"/, 'parent created with children');
  t.notMatch(r.list_pct[1].join('\n'), /Projects\/2026/, '% stops at the delimiter');
  t.same(r.list_sub[1], ['(\\HasNoChildren) "/" "Projects/2026"']);
  t.equal(r.create_jp[0], 'OK');
  t.same(r.list_jp[1], ['(\\HasNoChildren) "/" "&ZeVnLIqe-"'], 'modified UTF-7 round trip');
  t.equal(r.rename[0], 'OK');
  t.match(r.list_after[1].join('\n'), /"Archive\/2026"/, 'children renamed with the parent');
  t.same(r.lsub[1], ['(\\HasNoChildren) "/" "Archive/2026"']);
  t.same(r.lsub2[1], [null]);
  t.match(r.status[1][0], /^"INBOX" \(MESSAGES 0 RECENT 0 UIDNEXT 1 UIDVALIDITY \d+ UNSEEN 0 HIGHESTMODSEQ \d+\)$/);
  t.equal(r.status_missing[0], 'NO');
  t.equal(r.delete[0], 'OK');
  t.equal(r.delete_missing[0], 'NO');
  t.equal(r.delete_inbox[0], 'NO');
  t.equal(r.select_missing[0], 'NO');
  t.same(r.list_empty[1], ['(\\Noselect) "/" ""']);
});

t.test('APPEND and FETCH: literals, APPENDUID, BODYSTRUCTURE/ENVELOPE of nested MIME, sections, partials', async (t) => {
  const nested = nestedMessage();
  const r = await imaplib(app, `
c = login('carol')
nested = bytes.fromhex('${nested.toString('hex')}')
out['append'] = c.append('INBOX', '(\\\\Flagged $Work)', '"03-Feb-2026 09:30:00 +0900"', nested)
out['append2'] = c.append('INBOX', None, None, ${JSON.stringify(SIMPLE)}.encode())
out['append_missing'] = attempt(lambda: c.append('Nope', None, None, b'Subject: x\\r\\n\\r\\nx\\r\\n'))
out['select'] = c.select('INBOX')
out['untagged'] = {k: v for k, v in c.untagged_responses.items()}
def f(spec, which='1'):
    typ, data = c.fetch(which, spec)
    return data
out['meta'] = f('(UID FLAGS INTERNALDATE RFC822.SIZE)')
out['bs'] = f('BODYSTRUCTURE')
out['body'] = f('BODY')
out['env'] = f('ENVELOPE')
out['env2'] = f('ENVELOPE', '2')
out['p1'] = f('BODY.PEEK[1]')
out['p21'] = f('BODY.PEEK[2.1]')
out['p22mime'] = f('BODY.PEEK[2.2.MIME]')
out['p3h'] = f('BODY.PEEK[3.HEADER]')
out['p3t'] = f('BODY.PEEK[3.TEXT]')
out['p31'] = f('BODY.PEEK[3.1]')
out['hf'] = f('BODY.PEEK[HEADER.FIELDS (SUBJECT MESSAGE-ID)]')
out['hfn'] = f('BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT MESSAGE-ID DATE FROM TO MIME-VERSION CONTENT-TYPE)]')
out['partial'] = f('BODY.PEEK[]<0.20>')
out['partial_far'] = f('BODY.PEEK[]<100000.10>')
out['missing_part'] = f('BODY.PEEK[9]')
out['rfc822h'] = f('RFC822.HEADER', '2')
out['flags_before'] = f('FLAGS', '2')
out['rfc822'] = f('RFC822', '2')
out['flags_after'] = f('FLAGS', '2')
out['all'] = f('ALL', '2')
out['uidfetch'] = c.uid('FETCH', '2', '(FLAGS)')
out['bad_item'] = attempt(lambda: c.fetch('1', '(NOPE)'))
out['bad_set'] = attempt(lambda: c.fetch('0:x', '(FLAGS)'))
out['size'] = len(nested)
c.logout()
`);
  t.match(r.append[1][0], /^\[APPENDUID \d+ 1\] APPEND completed$/);
  t.match(r.append2[1][0], /^\[APPENDUID \d+ 2\]/);
  t.match(r.append_missing, /TRYCREATE/);
  t.same(r.untagged.EXISTS, ['2']);
  t.match(r.untagged.PERMANENTFLAGS[0], /\\\*/);
  t.ok(r.untagged['READ-WRITE'] !== undefined || r.select[0] === 'OK');
  t.match(r.meta[0], new RegExp(`^1 \\(UID 1 FLAGS \\(\\\\Flagged \\$Work \\\\Recent\\) INTERNALDATE "03-Feb-2026 00:30:00 \\+0000" RFC822.SIZE ${r.size}\\)$`));
  const bs = r.bs[0] as string;
  t.match(bs, /^1 \(BODYSTRUCTURE \(\("TEXT" "PLAIN" \("CHARSET" "ISO-2022-JP"\) NIL NIL "7BIT" \d+ 1 NIL NIL NIL NIL\)\(\("TEXT" "PLAIN" \("CHARSET" "utf-8"\) NIL NIL "QUOTED-PRINTABLE" \d+ 1 NIL NIL NIL NIL\)\("TEXT" "HTML" \("CHARSET" "utf-8"\) NIL NIL "7BIT" \d+ 1 NIL NIL NIL NIL\) "ALTERNATIVE" \("BOUNDARY" "inner"\) NIL NIL NIL\)\("MESSAGE" "RFC822" NIL NIL NIL "7BIT" \d+ \(NIL "forwarded inner" \(\(NIL NIL "inner" "example.net"\)\)/);
  t.match(bs, /\("TEXT" "PLAIN" \("CHARSET" "us-ascii"\) NIL NIL "7BIT" 15 1 NIL NIL NIL NIL\) 5 NIL NIL NIL NIL\)/, 'message/rfc822 carries its envelope, body and line count');
  t.match(bs, /\("TEXT" "PLAIN" \("CHARSET" "Shift_JIS" "NAME" "sjis.txt"\) NIL NIL "BASE64" \d+ 1 NIL \("ATTACHMENT" \("FILENAME" "sjis.txt"\)\) NIL NIL\) "MIXED" \("BOUNDARY" "outer"\) NIL NIL NIL\)\)$/);
  t.notMatch(r.body[0], /"ATTACHMENT"|BOUNDARY/, 'BODY has no extension data');
  t.match(r.env[0], /^1 \(ENVELOPE \("Tue, 03 Feb 2026 09:30:00 \+0900" "=\?ISO-2022-JP\?B\?GyRCRnxLXDhsJE4lYSE8JWsbKEI=\?=" \(\("=\?ISO-2022-JP\?B\?GyRCJUYlOSVIGyhC\?=" NIL "jp" "example.jp"\)\)/);
  t.match(r.env2[0], /\(\("Bob Example" NIL "bob" "example.org"\)\) \(\("Bob Example" NIL "bob" "example.org"\)\) \(\("Bob Example" NIL "bob" "example.org"\)\) \(\(NIL NIL "alice" "example.test"\)\("Carol" NIL "carol" "example.test"\)\) \(\(NIL NIL "undisclosed-recipients" NIL\)\(NIL NIL NIL NIL\)\) NIL NIL "<simple@example.org>"\)\)$/, 'sender/reply-to default to from; groups');
  t.equal(Buffer.from(r.p1[0][1], 'utf8').toString('utf8').length > 0, true);
  t.equal(r.p21[0][1], 'plain caf=C3=A9 alternative');
  t.equal(r.p22mime[0][1], 'Content-Type: text/html; charset=utf-8\r\n\r\n');
  t.equal(r.p3h[0][1], 'From: inner@example.net\r\nSubject: forwarded inner\r\nContent-Type: text/plain\r\n\r\n');
  t.equal(r.p3t[0][1], 'inner body line');
  t.equal(r.p31[0][1], 'inner body line');
  t.equal(r.hf[0][1], 'Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsJE4lYSE8JWsbKEI=?=\r\nMessage-ID: <nested@example.jp>\r\n\r\n');
  t.equal(r.hfn[0][1], '\r\n');
  t.match(r.partial[0][0], /BODY\[\]<0> \{20\}$/);
  t.equal(r.partial[0][1], 'From: =?ISO-2022-JP?');
  t.match(r.partial_far[0][0], /BODY\[\]<100000> \{0\}$/);
  t.match(r.missing_part[0][0], /BODY\[9\] \{0\}$/);
  t.equal(r.rfc822h[0][1], SIMPLE.split('\r\n\r\n')[0] + '\r\n\r\n');
  t.notMatch(r.flags_before[0], /\\Seen/);
  t.equal(r.rfc822[0][1], SIMPLE, 'RFC822 is byte-exact');
  t.match(r.flags_after[0], /\\Seen/, 'RFC822 set \\Seen');
  t.match(r.all[0], /FLAGS .* INTERNALDATE .* RFC822.SIZE \d+ ENVELOPE \(/);
  t.match(r.uidfetch[1][0], /^2 \(UID 2 FLAGS/);
  t.match(r.bad_item, /EXC:error:.*BAD|EXC:.*Invalid fetch item/);
  t.match(r.bad_set, /EXC:.*(BAD|Invalid sequence set)/);
});

t.test('SEARCH: RFC 3501 keys, CHARSET UTF-8, Japanese in decoded headers and bodies, ESEARCH', async (t) => {
  const r = await imaplib(app, `
c = login('alice')
c.append('INBOX', '(\\\\Seen)', '"01-Jan-2026 12:00:00 +0000"', ${JSON.stringify(SIMPLE)}.encode())
c.append('INBOX', '(\\\\Flagged \\\\Answered)', '"15-Feb-2026 12:00:00 +0000"', bytes.fromhex('${nestedMessage().toString('hex')}'))
c.append('INBOX', '(\\\\Deleted $Later)', '"20-Feb-2026 12:00:00 +0000"', b'From: z@example.com\\r\\nSubject: third\\r\\nX-Tag: blue\\r\\nDate: Fri, 20 Feb 2026 10:00:00 +0000\\r\\n\\r\\n' + b'x' * 5000 + b'\\r\\n')
c.select('INBOX')
def s(*q):
    return attempt(lambda: c.search(*q)[1][0].decode())
def su(*q):
    return c.uid('SEARCH', *q)[1][0].decode()
out['all'] = s(None, 'ALL')
out['seen'] = s(None, 'SEEN')
out['unseen'] = s(None, 'UNSEEN')
out['flagged'] = s(None, 'FLAGGED')
out['answered_unflagged'] = s(None, 'ANSWERED', 'UNFLAGGED')
out['deleted'] = s(None, 'DELETED')
out['undeleted'] = s(None, 'UNDELETED')
out['keyword'] = s(None, 'KEYWORD', '$Later')
out['unkeyword'] = s(None, 'UNKEYWORD', '$Later')
out['draft'] = s(None, 'DRAFT')
out['undraft'] = s(None, 'UNDRAFT')
out['recent'] = s(None, 'RECENT')
out['new'] = s(None, 'NEW')
out['old'] = s(None, 'OLD')
out['from'] = s(None, 'FROM', 'bob@example.org')
out['to'] = s(None, 'TO', 'carol')
out['cc'] = s(None, 'CC', 'undisclosed')
out['bcc'] = s(None, 'BCC', 'nobody')
out['subject'] = s(None, 'SUBJECT', 'SIMPLE')
out['header'] = s(None, 'HEADER', 'X-Tag', 'blue')
out['header_any'] = s(None, 'HEADER', 'X-Tag', '""')
out['body'] = s(None, 'BODY', '"this is the body"')
out['text'] = s(None, 'TEXT', '"bob example"')
out['larger'] = s(None, 'LARGER', '4000')
out['smaller'] = s(None, 'SMALLER', '4000')
out['before'] = s(None, 'BEFORE', '15-Feb-2026')
out['on'] = s(None, 'ON', '15-Feb-2026')
out['since'] = s(None, 'SINCE', '15-Feb-2026')
out['sentbefore'] = s(None, 'SENTBEFORE', '3-Feb-2026')
out['senton'] = s(None, 'SENTON', '3-Feb-2026')
out['sentsince'] = s(None, 'SENTSINCE', '3-Feb-2026')
out['or'] = s(None, 'OR', 'SEEN', 'DELETED')
out['not'] = s(None, 'NOT', 'SEEN')
out['paren'] = s(None, '(OR SEEN FLAGGED)', 'UNANSWERED')
out['seq'] = s(None, '2:*')
out['uidkey'] = s(None, 'UID', '1,3')
out['uidsearch'] = su('FLAGGED')
c.literal = '日本語の本文'.encode('utf-8')
out['jp_body'] = s('UTF-8', 'BODY')
c.literal = '日本語のメール'.encode('utf-8')
out['jp_subject'] = s('UTF-8', 'SUBJECT')
c.literal = 'テスト'.encode('utf-8')
out['jp_from'] = s('UTF-8', 'FROM')
c.literal = 'シフトJIS'.encode('utf-8')
out['sjis'] = s('UTF-8', 'TEXT')
c.literal = 'café alternative'.encode('utf-8')
out['qp'] = s('UTF-8', 'BODY')
out['inner'] = s(None, 'BODY', '"inner body line"')
out['badcharset'] = s('KOI8-R', 'ALL')
out['badkey'] = s(None, 'NOPE')
out['esearch'] = c._simple_command('SEARCH', 'RETURN', '(MIN MAX COUNT ALL)', 'ALL')
out['esearch_data'] = c.untagged_responses.pop('ESEARCH', None)
out['uesearch'] = c._simple_command('UID', 'SEARCH', 'RETURN', '(COUNT)', 'FLAGGED')
out['uesearch_data'] = c.untagged_responses.pop('ESEARCH', None)
c.logout()
`);
  const expect: Record<string, string> = {
    all: '1 2 3', seen: '1', unseen: '2 3', flagged: '2', answered_unflagged: '', deleted: '3', undeleted: '1 2',
    keyword: '3', unkeyword: '1 2', draft: '', undraft: '1 2 3', recent: '1 2 3', new: '2 3', old: '',
    from: '1', to: '1', cc: '1', bcc: '', subject: '1', header: '3', header_any: '3', body: '1', text: '1',
    larger: '3', smaller: '1 2', before: '1', on: '2', since: '2 3', sentbefore: '1', senton: '2', sentsince: '2 3',
    or: '1 3', not: '2 3', paren: '1', seq: '2 3', uidkey: '1 3', uidsearch: '2',
    jp_body: '2', jp_subject: '2', jp_from: '2', sjis: '2', qp: '2', inner: '2',
  };
  for (const [k, v] of Object.entries(expect)) t.equal(r[k], v, `SEARCH ${k}`);
  t.match(r.badcharset, /BADCHARSET/);
  t.match(r.badkey, /EXC:.*Unknown search key/);
  t.match(r.esearch_data[0], /^\(TAG "\w+"\) MIN 1 MAX 3 COUNT 3 ALL 1:3$/);
  t.match(r.uesearch_data[0], /^\(TAG "\w+"\) UID COUNT 1$/);
});

