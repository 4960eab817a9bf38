/**
 * IMAP4rev2 (RFC 9051) through ENABLE, and the extensions it folds in that came with it:
 * BINARY (RFC 3516), LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819), SEARCHRES (RFC 5182).
 * Mail arrives over SMTP; the wire is checked byte for byte on a raw socket, and imaplib
 * (a real client) drives ENABLE and ESEARCH.
 */
import t from 'tap';
import { RawClient } from './helpers/raw-client.ts';
import { imaplib, startImapAppliance } from './helpers/imap-env.ts';

const app = await startImapAppliance({ imap: { allowInsecureAuth: true } }, ['alice', 'bob']);
t.teardown(() => app.close());

// part 1 quoted-printable UTF-8, part 2 base64 of bytes with a NUL, part 3 an encoding nobody knows
const BLOB = Buffer.from([0x00, 0x01, 0x02, 0xff, 0x41, 0x0d, 0x0a, 0x42]);
const MIXED = [
  'From: sender@example.org', 'To: alice@example.test', 'Subject: binary parts', 'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"', '', '--b1',
  'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '',
  'caf=C3=A9 =3D cr=C3=A8me br=\r\nul=C3=A9e', '--b1',
  'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '',
  BLOB.toString('base64'), '--b1',
  'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: x-uuencode', '',
  'begin 644 x', '--b1--', '',
].join('\r\n');

/** Delivers messages to accounts over SMTP (Python smtplib). */
async function deliver(to: string, messages: string[]): Promise<void> {
  const lits = messages.map((m) => JSON.stringify(m)).join(', ');
  await imaplib(app, `for m in [${lits}]:\n    send('${to}', m.encode('utf-8'))\nout['ok'] = True`);
}

async function connect(user = 'alice'): Promise<RawClient> {
  const c = await RawClient.connect(app.imapPort);
  await c.line();
  t.match(await cmd(c, `LOGIN ${user}@example.test pw-${user}`, "l"), /^l OK/m);
  return c;
}

let n = 0;
/** Sends a command under a fresh tag; the transcript up to and including its completion. */
async function cmd(c: RawClient, line: string | Buffer, tag?: string): Promise<string> {
  const tg = tag ?? `t${++n}`;
  c.write(Buffer.concat([Buffer.from(`${tg} `), Buffer.isBuffer(line) ? line : Buffer.from(line + '\r\n', 'utf8')]));
  let out = '';
  for (;;) {
    const l = await c.line();
    out += l;
    if (l.startsWith(`${tg} `)) return out;
  }
}

await deliver('alice', [MIXED, 'From: a@example.org\r\nSubject: plain one\r\n\r\nhello\r\n', 'From: b@example.org\r\nSubject: plain two\r\n\r\nworld\r\n']);

t.test('ENABLE IMAP4rev2: capability, ENABLED, SELECT without RECENT/UNSEEN and with LIST, no \\Recent', async (t) => {
  const c = await connect();
  const caps = await cmd(c, 'CAPABILITY');
  for (const cap of ['IMAP4rev1', 'IMAP4rev2', 'BINARY', 'LIST-EXTENDED', 'LIST-STATUS', 'SEARCHRES', 'ENABLE']) t.match(caps, new RegExp(`[ ]${cap}[ \\r]`), cap);
  const rev1 = await cmd(c, 'SELECT INBOX');
  t.match(rev1, /\* 3 RECENT\r\n/, 'IMAP4rev1 still sees RECENT');
  t.match(rev1, /\* OK \[UNSEEN 1\]/);
  await cmd(c, 'UNSELECT');
  const en = await cmd(c, 'ENABLE IMAP4rev2');
  t.match(en, /^\* ENABLED IMAP4rev2\r\nt\d+ OK/, '* ENABLED IMAP4rev2');
  t.match(await cmd(c, 'ENABLE IMAP4rev2'), /^\* ENABLED\r\n/, 'enabled only once');
  const sel = await cmd(c, 'SELECT INBOX');
  t.match(sel, /\* 3 EXISTS\r\n/);
  t.notMatch(sel, /RECENT/, 'no RECENT response (RFC 9051 Appendix E)');
  t.notMatch(sel, /\[UNSEEN /, 'no UNSEEN response code');
  t.match(sel, /\* LIST \(\\HasNoChildren\) "\/" "?INBOX"?\r\n/, 'SELECT returns the mailbox LIST response');
  t.match(sel, /OK \[READ-WRITE\]/);
  const flags = await cmd(c, 'FETCH 1:* FLAGS');
  t.notMatch(flags, /\\Recent/, 'no \\Recent flag');
  // new mail while selected: EXISTS but no RECENT
  await deliver('alice', ['From: c@example.org\r\nSubject: later\r\n\r\nlater\r\n']);
  let noop = '';
  // the SMTP 250 comes after the commit, so the first NOOP normally sees it; allow 5 s anyway
  for (let i = 0; i < 50 && !/EXISTS/.test(noop); i++) {
    if (i) await new Promise((r) => setTimeout(r, 100));
    noop = await cmd(c, 'NOOP');
  }
  t.match(noop, /\* 4 EXISTS\r\n/);
  t.notMatch(noop, /RECENT/);
  const other = await connect();
  t.match(await cmd(other, 'SELECT INBOX'), /\* 1 RECENT\r\n/, 'the IMAP4rev2 session left the new message \\Recent for an IMAP4rev1 one');
  other.close();
  t.match(await cmd(c, 'EXAMINE INBOX'), /^\* OK \[CLOSED\]/, 'OK [CLOSED] when SELECT replaces a selection');
  // the extra message goes, so the other tests see three
  await cmd(c, 'SELECT INBOX');
  await cmd(c, 'STORE 4 +FLAGS.SILENT (\\Deleted)');
  t.match(await cmd(c, 'EXPUNGE'), /\* 4 EXPUNGE\r\n/);
  c.close();
});

t.test('BINARY: decoded QP and base64 parts, literal8 for NULs, BINARY.SIZE, partial, UNKNOWN-CTE, \\Seen', async (t) => {
  const c = await connect();
  await cmd(c, 'SELECT INBOX');
  const qp = await cmd(c, 'FETCH 1 (BINARY.PEEK[1])');
  const text = Buffer.from('café = crème brulée', 'utf8').toString('latin1');
  t.match(qp, `* 1 FETCH (BINARY[1] {${Buffer.byteLength('café = crème brulée')}}\r\n${text})`, 'quoted-printable decoded (soft break too)');
  const b64 = await cmd(c, 'FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2] BINARY.SIZE[1])');
  t.ok(b64.includes(`BINARY[2] ~{${BLOB.length}}\r\n${BLOB.toString('latin1')}`), 'base64 decoded, sent as literal8 because of the NUL');
  t.match(b64, `BINARY.SIZE[2] ${BLOB.length}`);
  t.match(b64, `BINARY.SIZE[1] ${Buffer.byteLength('café = crème brulée')}`);
  t.match(await cmd(c, 'FETCH 1 (BINARY.PEEK[1]<0.4>)'), '* 1 FETCH (BINARY[1]<0> {4}\r\ncaf\xc3)', 'partial of the decoded bytes');
  t.match(await cmd(c, 'FETCH 1 (BINARY.PEEK[3])'), /t\d+ NO \[UNKNOWN-CTE\]/);
  t.match(await cmd(c, 'FETCH 2 (BINARY.PEEK[1])'), '* 2 FETCH (BINARY[1] {7}\r\nhello\r\n)', 'single-part message: part 1 is the body');
  t.match(await cmd(c, 'FETCH 1 (BINARY.PEEK[])'), /BINARY\[\] \{\d+\}\r\nReturn-Path: [\s\S]*\r\nSubject: binary parts\r\n/);
  t.match(await cmd(c, 'FETCH 1 BINARY[1.2.x]'), /t\d+ BAD/);
  t.notMatch(await cmd(c, 'FETCH 1 FLAGS'), /\\Seen/, 'PEEK left \\Seen alone');
  const seen = await cmd(c, 'FETCH 1 (BINARY[2])');
  t.match(seen, /FLAGS \(\\Seen\)/, 'BINARY without PEEK sets \\Seen');
  await cmd(c, 'STORE 1 -FLAGS.SILENT (\\Seen)');
  c.close();
});

t.test('APPEND with a literal8 (~{n}) keeps binary content; BINARY fetch returns it', async (t) => {
  const c = await connect();
  const body = Buffer.concat([Buffer.from('Subject: raw\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n'), BLOB]);
  c.write(`ap APPEND Drafts (\\Draft) ~{${body.length}}\r\n`);
  t.match(await c.line(), /^\+ /, 'continuation for a synchronizing literal8');
  c.write(Buffer.concat([body, Buffer.from('\r\n')]));
  const done = await c.line();
  t.match(done, /^ap OK \[APPENDUID \d+ 1\]/);
  const lp = await cmd(c, Buffer.concat([Buffer.from(`APPEND Drafts ~{${body.length}+}\r\n`), body, Buffer.from('\r\n')]));
  t.match(lp, /OK \[APPENDUID \d+ 2\]/, 'literal8 with LITERAL+');
  const nul = await cmd(c, Buffer.concat([Buffer.from(`APPEND Drafts {${body.length}+}\r\n`), body, Buffer.from('\r\n')]));
  t.match(nul, /^t\d+ BAD .*literal8/, 'NULs in an ordinary literal are refused');
  await cmd(c, 'SELECT Drafts');
  const f = await cmd(c, 'UID FETCH 1:2 (BINARY.PEEK[1] RFC822.SIZE)');
  t.equal(f.split(`~{${BLOB.length}}\r\n${BLOB.toString('latin1')}`).length, 3, 'both appended messages hold the bytes, NUL included');
  t.match(f, `RFC822.SIZE ${body.length}`);
  await cmd(c, 'UID STORE 1:2 +FLAGS.SILENT (\\Deleted)');
  await cmd(c, 'EXPUNGE');
  c.close();
});

t.test('SEARCHRES: RETURN (SAVE), $ in FETCH/STORE/UID SEARCH/COPY, MIN saves only the minimum', async (t) => {
  const c = await connect();
  await cmd(c, 'SELECT INBOX');
  const save = await cmd(c, 'SEARCH RETURN (SAVE) SUBJECT plain');
  t.match(save, /^t\d+ OK/, 'SAVE alone sends no untagged result');
  t.match(await cmd(c, 'FETCH $ (UID)'), /^\* 2 FETCH \(UID 2\)\r\n\* 3 FETCH \(UID 3\)\r\nt\d+ OK/);
  t.match(await cmd(c, 'STORE $ +FLAGS (\\Flagged)'), /\* 2 FETCH \(FLAGS \(\\Flagged\)\)\r\n\* 3 FETCH \(FLAGS \(\\Flagged\)\)/);
  t.match(await cmd(c, 'UID SEARCH UID $ FLAGGED'), /^\* SEARCH 2 3\r\n/, '$ as a search key (IMAP4rev1 answer form)');
  t.match(await cmd(c, 'SEARCH RETURN (SAVE COUNT) $ SUBJECT two'), /^\* ESEARCH \(TAG "t\d+"\) COUNT 1\r\n/, 'SAVE with COUNT answers COUNT');
  t.match(await cmd(c, 'UID FETCH $ (UID)'), /^\* 3 FETCH \(UID 3\)\r\nt\d+ OK/, 'the result replaced the saved one');
  await cmd(c, 'SEARCH RETURN (SAVE MIN) ALL');
  t.match(await cmd(c, 'FETCH $ (UID)'), /^\* 1 FETCH \(UID 1\)\r\nt\d+ OK/, 'MIN without ALL/COUNT saves only the minimum');
  await cmd(c, 'SEARCH RETURN (SAVE) SUBJECT nothing-matches');
  t.match(await cmd(c, 'FETCH $ (UID)'), /^t\d+ OK/, 'an empty saved result: $ is empty');
  await cmd(c, 'SEARCH RETURN (SAVE) FLAGGED');
  t.match(await cmd(c, 'UID COPY $ Trash'), /OK \[COPYUID \d+ 2:3 \d+:\d+\]/);
  await cmd(c, 'STORE 1:* -FLAGS.SILENT (\\Flagged)');
  t.match(await cmd(c, 'SEARCH RETURN (SAVE) UNKNOWNKEY'), /^t\d+ BAD/);
  t.match(await cmd(c, 'FETCH $ (UID)'), /^t\d+ OK/, 'a failed SEARCH ... SAVE leaves $ empty');
  c.close();
});

t.test('IMAP4rev2 SEARCH answers with ESEARCH; imaplib sends ENABLE and sees it', async (t) => {
  const r = await imaplib(app, `
c = login('alice', plain())
c.select('INBOX')
out['rev1'] = c.search(None, 'ALL')
c.logout()
c = login('alice', plain())
out['enable'] = c._simple_command('ENABLE', 'IMAP4rev2')
out['enabled'] = c.untagged_responses.pop('ENABLED', None)
c.select('INBOX')
typ, dat = c._simple_command('SEARCH', 'SUBJECT', 'plain')
out['esearch'] = c.untagged_responses.pop('ESEARCH', None)
typ, dat = c._simple_command('UID', 'SEARCH', 'SUBJECT', 'nothing')
out['empty'] = c.untagged_responses.pop('ESEARCH', None)
typ, dat = c._simple_command('SEARCH', 'RETURN', '(MIN COUNT)', 'ALL')
out['min'] = c.untagged_responses.pop('ESEARCH', None)
c.logout()
`);
  t.same(r.rev1, ['OK', ['1 2 3']], 'IMAP4rev1 SEARCH unchanged');
  t.equal(r.enable[0], 'OK');
  t.same(r.enabled, ['IMAP4rev2']);
  t.match(r.esearch[0], /^\(TAG "\w+"\) ALL 2:3$/);
  t.match(r.empty[0], /^\(TAG "\w+"\) UID$/, 'no matches: an ESEARCH with no data');
  t.match(r.min[0], /^\(TAG "\w+"\) MIN 1 COUNT 3$/);
});

t.test('LIST-EXTENDED and LIST-STATUS: selection and return options, multiple patterns, \\NonExistent, CHILDINFO', async (t) => {
  const c = await connect('bob');
  for (const box of ['Fruit', 'Fruit/Apple', 'Fruit/Banana', 'Nuts/Pecan', 'Gone']) await cmd(c, `CREATE ${box}`);
  for (const box of ['Fruit/Banana', 'Nuts/Pecan', 'Gone', 'INBOX']) await cmd(c, `SUBSCRIBE ${box}`);
  for (const box of ['Gone', 'Nuts/Pecan', 'Nuts']) t.match(await cmd(c, `DELETE ${box}`), /^t\d+ OK/m);
  await deliver('bob', ['Subject: one\r\n\r\nx\r\n', 'Subject: two\r\n\r\ny\r\n']);
  const sub = await cmd(c, 'LIST (SUBSCRIBED) "" "*"');
  t.match(sub, '* LIST (\\HasNoChildren \\Subscribed) "/" "Fruit/Banana"\r\n');
  t.match(sub, '* LIST (\\NonExistent \\Subscribed) "/" "Gone"\r\n', 'a subscribed name that no longer exists');
  t.match(sub, /\* LIST \(\\HasNoChildren \\Subscribed\) "\/" "?INBOX"?\r\n/);
  t.notMatch(sub, /"Fruit"\r\n|"Fruit\/Apple"/, 'unsubscribed mailboxes left out');
  const rec = await cmd(c, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"');
  t.match(rec, '* LIST (\\HasChildren) "/" "Fruit" ("CHILDINFO" ("SUBSCRIBED"))\r\n', 'an unsubscribed parent with a subscribed child');
  t.match(rec, /\* LIST \(\\NonExistent\) "\/" "Nuts" \("CHILDINFO" \("SUBSCRIBED"\)\)\r\n/, 'a parent that does not exist at all');
  t.notMatch(rec, /Banana/, 'children below the pattern are not listed');
  const multi = await cmd(c, 'LIST "" ("INBOX" "Fruit/%") RETURN (SUBSCRIBED CHILDREN)');
  t.match(multi, /^\* LIST \(\\HasNoChildren \\Subscribed\) "\/" "?INBOX"?\r\n\* LIST \(\\HasNoChildren\) "\/" "Fruit\/Apple"\r\n\* LIST \(\\HasNoChildren \\Subscribed\) "\/" "Fruit\/Banana"\r\nt\d+ OK/, 'two patterns, RETURN (SUBSCRIBED)');
  const st = await cmd(c, 'LIST "" "*" RETURN (STATUS (MESSAGES UNSEEN SIZE DELETED))');
  t.match(st, /\* LIST \([^)]*\) "\/" "?INBOX"?\r\n\* STATUS "?INBOX"? \(MESSAGES 2 UNSEEN 2 SIZE \d+ DELETED 0\)\r\n/, 'STATUS right after its LIST line');
  t.match(st, '* LIST (\\HasChildren) "/" "Fruit"\r\n* STATUS "Fruit" (MESSAGES 0 UNSEEN 0 SIZE 0 DELETED 0)\r\n');
  t.notMatch(st, /Gone/, 'no \\NonExistent without the SUBSCRIBED selection');
  t.match(await cmd(c, 'LIST (RECURSIVEMATCH) "" "*"'), /^t\d+ BAD/, 'RECURSIVEMATCH alone is an error');
  t.match(await cmd(c, 'LIST (FROB) "" "*"'), /^t\d+ BAD/);
  t.match(await cmd(c, 'LIST "" "*" RETURN (FROB)'), /^t\d+ BAD/);
  t.match(await cmd(c, 'LIST (REMOTE) "" "Fruit"'), '* LIST (\\HasChildren) "/" "Fruit"\r\n');
  await cmd(c, 'CREATE Tree/Leaf');
  await cmd(c, 'DELETE Tree');
  t.match(await cmd(c, 'LIST "" "Tree"'), /^\* LIST \(\\Noselect \\HasChildren\) "\/" "Tree"\r\nt\d+ OK/, 'a deleted parent of a mailbox: \\Noselect for a plain LIST');
  t.match(await cmd(c, 'LIST "" "Tree" RETURN (CHILDREN)'), /^\* LIST \(\\NonExistent \\HasChildren\) "\/" "Tree"\r\n/, 'and \\NonExistent for an extended one');
  await cmd(c, 'SELECT INBOX');
  await cmd(c, 'STORE 1 +FLAGS.SILENT (\\Deleted)');
  t.match(await cmd(c, 'STATUS INBOX (DELETED SIZE MESSAGES)'), /\* STATUS "?INBOX"? \(DELETED 1 SIZE \d+ MESSAGES 2\)/, 'STATUS DELETED (RFC 9051)');
  t.match(await cmd(c, 'LSUB "" "*"'), '* LSUB (\\Noselect) "/" "Gone"\r\n', 'LSUB shows a vanished subscription as \\Noselect');
  c.close();
});

t.test('IMAP4rev2 mailbox names are UTF-8; IMAP4rev1 keeps modified UTF-7', async (t) => {
  const c = await connect('bob');
  await cmd(c, 'CREATE "Caf&AOk-"');
  t.match(await cmd(c, 'LIST "" "Caf*"'), '* LIST (\\HasNoChildren) "/" "Caf&AOk-"\r\n');
  await cmd(c, 'ENABLE IMAP4rev2');
  const utf8 = Buffer.from('Café', 'utf8');
  t.match(await cmd(c, 'LIST "" "Caf*"'), `* LIST (\\HasNoChildren) "/" {${utf8.length}}\r\n${utf8.toString('latin1')}\r\n`);
  t.match(await cmd(c, Buffer.from('STATUS "Café" (MESSAGES)\r\n', 'utf8')), `* STATUS {${utf8.length}}\r\n${utf8.toString('latin1')} (MESSAGES 0)\r\n`, 'UTF-8 names in commands');
  t.match(await cmd(c, 'STATUS "Caf&AOk-" (MESSAGES)'), /^t\d+ NO \[NONEXISTENT\]/, 'no modified UTF-7 decoding under IMAP4rev2');
  t.match(await cmd(c, 'CREATE "R&D"'), /^t\d+ OK/, 'an & is just an &');
  c.close();
  const old = await connect('bob');
  t.match(await cmd(old, 'LIST "" "R*"'), '* LIST (\\HasNoChildren) "/" "R&-D"\r\n', 'an IMAP4rev1 session sees it in modified UTF-7');
  old.close();
});
