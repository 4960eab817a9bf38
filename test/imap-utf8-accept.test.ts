/**
 * UTF8=ACCEPT (RFC 6855) with Python's imaplib, on a message that came in over SMTPUTF8
 * (smtplib, RFC 6531): CAPABILITY lists it; `ENABLE UTF8=ACCEPT` answers `* ENABLED UTF8=ACCEPT`;
 * then ENVELOPE strings are quoted UTF-8 (the nested ENVELOPE of a message/rfc822 part in
 * BODY/BODYSTRUCTURE too), BODY[HEADER] is the bytes as delivered, a mailbox
 * with a non-ASCII name is created and listed as UTF-8, SEARCH CHARSET is a BAD (§3) and
 * `APPEND ... UTF8 (~{n}...)` (§4) is taken. Without ENABLE: names in modified UTF-7, 8-bit
 * ENVELOPE strings as literals, SEARCH CHARSET allowed, the UTF8 APPEND form refused.
 */
import t from 'tap';
import { startImapAppliance, imaplib } from './helpers/imap-env.ts';

const app = await startImapAppliance({}, ['alice']);
t.teardown(() => app.close());

const SUBJECT = 'Grüße aus Köln 日本語';
/** Python: sends one raw command line and returns every line up to its tagged completion. */
const RAW = `
def raw(c, line):
    tag = c._new_tag()
    c.send(tag + b' ' + line + b'\\r\\n')
    lines = []
    while True:
        l = c.readline()
        lines.append(l.decode('utf-8', 'replace'))
        if l.startswith(tag): return lines
`;

t.test('a message delivered over SMTPUTF8, read with UTF8=ACCEPT and without', async (t) => {
  const r = await imaplib(app, `
msg = ('From: Jöran <jöran@example.test>\\r\\nTo: Alice <alice@example.test>\\r\\nSubject: ${SUBJECT}\\r\\n'
       'Message-ID: <utf8@client.test>\\r\\nMIME-Version: 1.0\\r\\nContent-Type: text/plain; charset=utf-8\\r\\n\\r\\nHallo\\r\\n').encode('utf-8')
s = smtplib.SMTP(H, SP, timeout=15)
s.ehlo('client.test')
out['smtp'] = s.sendmail('jöran@example.test', ['alice@example.test'], msg, mail_options=['SMTPUTF8'])
s.quit()

${RAW}
c = login('alice')
out['caps'] = 'UTF8=ACCEPT' in c.capabilities
out['enable'] = c.enable('UTF8=ACCEPT')[0]
out['enabled'] = c.untagged_responses.pop('ENABLED', None)
c.select('INBOX')
typ, dat = c.fetch('1', '(ENVELOPE BODY.PEEK[HEADER])')
out['env'] = dat[0][0].decode('utf-8')
out['header'] = base64.b64encode(dat[0][1]).decode()
out['charset'] = attempt(lambda: c._simple_command('SEARCH', 'CHARSET', 'UTF-8', 'ALL'))
out['search'] = c.search(None, 'SUBJECT', '"Köln"')[1]
out['create'] = c.create('"Entwürfe/Übersicht"')[0]
out['list'] = [l.decode('utf-8') for l in c.list()[1]]
out['append'] = raw(c, 'APPEND "Entwürfe/Übersicht" UTF8 (~{%d+}\\r\\n'.encode() % len(msg) + msg + b')')
out['status'] = raw(c, '"STATUS "Entwürfe/Übersicht" (MESSAGES)'.encode()[1:])
c.logout()

c = login('alice')
out['list7'] = [l.decode('utf-8') for l in c.list()[1]]
c.select('INBOX')
typ, dat = c.fetch('1', '(ENVELOPE)')
out['env7'] = [x.decode('utf-8') if isinstance(x, bytes) else [y.decode('utf-8') for y in x] for x in dat]
out['charset7'] = c.search('UTF-8', 'ALL')[0]
out['append7'] = raw(c, b'APPEND INBOX UTF8 (~{6+}\\r\\nx: y\\r\\n)')
c.logout()
`);
  t.same(r.smtp, {}, 'accepted over SMTPUTF8');
  t.equal(r.caps, true, 'CAPABILITY lists UTF8=ACCEPT');
  t.equal(r.enable, 'OK');
  t.same(r.enabled, ['UTF8=ACCEPT'], '* ENABLED UTF8=ACCEPT');
  t.match(r.env, `"${SUBJECT}"`, 'ENVELOPE subject as a quoted UTF-8 string');
  t.match(r.env, '(("Jöran" NIL "jöran" "example.test"))', 'ENVELOPE from: UTF-8 name and local part, quoted');
  const header = Buffer.from(r.header, 'base64');
  t.ok(header.includes(Buffer.from(`Subject: ${SUBJECT}\r\nMessage-ID: <utf8@client.test>\r\n`, 'utf8')), 'BODY[HEADER]: the bytes as delivered');
  t.ok(header.includes(Buffer.from('From: Jöran <jöran@example.test>\r\n', 'utf8')));
  t.match(r.charset, /^EXC:error:.*BAD.*RFC 6855|^EXC:error:.*CHARSET/, 'SEARCH CHARSET after ENABLE UTF8=ACCEPT: BAD');
  t.same(r.search, ['1'], 'SEARCH with a UTF-8 string finds it');
  t.equal(r.create, 'OK');
  t.ok(r.list.some((l: string) => l.endsWith('"/" "Entwürfe/Übersicht"')), `LIST names in UTF-8: ${r.list}`);
  t.ok(r.list.some((l: string) => l.endsWith('"/" "Entwürfe"')), 'the parent too');
  t.match(r.append[r.append.length - 1], /^\S+ OK \[APPENDUID \d+ 1\]/, 'APPEND with UTF8 (~{n}) taken');
  t.match(r.status.join(''), /\* STATUS "Entwürfe\/Übersicht" \(MESSAGES 1\)/, 'STATUS name in UTF-8, the appended message there');
  t.ok(r.list7.some((l: string) => l.endsWith('"/" "Entw&APw-rfe/&ANw-bersicht"')), `without ENABLE: modified UTF-7 (${r.list7})`);
  t.match(r.env7[0][0], new RegExp(`ENVELOPE \\(NIL \\{${Buffer.byteLength(SUBJECT)}\\}$`), 'without ENABLE: the 8-bit subject goes as a literal, as before');
  t.equal(r.env7[0][1], SUBJECT);
  t.equal(r.charset7, 'OK', 'without ENABLE: SEARCH CHARSET UTF-8 allowed');
  t.match(r.append7[r.append7.length - 1], /^\S+ BAD .*UTF8=ACCEPT/, 'without ENABLE: APPEND UTF8 (...) refused');
});

t.test('the ENVELOPE of an attached message/rfc822 in BODYSTRUCTURE follows UTF8=ACCEPT too', async (t) => {
  // RFC 3501 §7.4.2: a message/rfc822 part's body structure holds its envelope; RFC 6855 §3:
  // once UTF8=ACCEPT is enabled its UTF-8 strings are quoted like the top-level ENVELOPE's
  const r = await imaplib(app, `
inner = ('From: Jöran <jöran@example.test>\\r\\nSubject: ${SUBJECT}\\r\\nMessage-ID: <inner@client.test>\\r\\n'
         'Content-Type: text/plain; charset=utf-8\\r\\n\\r\\nHallo\\r\\n')
msg = ('From: Alice <alice@example.test>\\r\\nSubject: forwarded\\r\\nMIME-Version: 1.0\\r\\n'
       'Content-Type: multipart/mixed; boundary="b1"\\r\\n\\r\\n--b1\\r\\nContent-Type: text/plain\\r\\n\\r\\nsee attached\\r\\n'
       '--b1\\r\\nContent-Type: message/rfc822\\r\\n\\r\\n' + inner + '--b1--\\r\\n').encode('utf-8')

${RAW}
c = login('alice')
c.enable('UTF8=ACCEPT')
out['create'] = c.create('Nested')[0]
out['append'] = raw(c, b'APPEND Nested UTF8 (~{%d+}\\r\\n' % len(msg) + msg + b')')
c.select('Nested')
out['utf8'] = ''.join(raw(c, b'FETCH 1 (BODYSTRUCTURE)'))
out['utf8body'] = ''.join(raw(c, b'FETCH 1 (BODY)'))
c.logout()

c = login('alice')
c.select('Nested')
out['plain'] = ''.join(raw(c, b'FETCH 1 (BODYSTRUCTURE)'))
c.logout()

c = login('alice')
c.enable('UTF8=ACCEPT')
c.select('Nested')
out['again'] = ''.join(raw(c, b'FETCH 1 (BODYSTRUCTURE)'))
c.logout()
`);
  t.match(r.append[r.append.length - 1], /^\S+ OK/, 'appended');
  const nested = `(NIL "${SUBJECT}" (("Jöran" NIL "jöran" "example.test"))`;
  t.ok(r.utf8.includes(`"MESSAGE" "RFC822" NIL NIL NIL "7BIT"`), `the message/rfc822 part: ${r.utf8}`);
  t.ok(r.utf8.includes(nested), `with UTF8=ACCEPT: the nested envelope's subject and from quoted: ${r.utf8}`);
  t.ok(r.utf8body.includes(nested), `BODY too: ${r.utf8body}`);
  t.ok(r.plain.includes(`(NIL {${Buffer.byteLength(SUBJECT)}}\r\n${SUBJECT} (({6}\r\nJöran NIL {6}\r\njöran "example.test"))`),
    `without ENABLE (after a session with it): literals, as before: ${r.plain}`);
  t.ok(r.again.includes(nested), 'with UTF8=ACCEPT again (after a session without): quoted');
});
