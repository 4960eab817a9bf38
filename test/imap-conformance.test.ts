/**
 * IMAP to the letter: raw commands over a real socket to a real appliance, each answer
 * checked byte for byte against the RFC text. BINARY (RFC 3516), sections of encapsulated
 * messages (RFC 3501 §6.4.5), ENVELOPE groups (§7.4.2), SEARCH/SORT/THREAD on addresses and
 * subjects (RFC 5256), atom-special mailbox names, CONDSTORE (RFC 7162), \Recent (§2.3.2),
 * LSUB and LIST-EXTENDED (RFC 5258), and untagged FLAGS for new keywords (§7.2.6).
 */
import t from 'tap';
import { RawClient } from './helpers/raw-client.ts';
import { startImapAppliance } from './helpers/imap-env.ts';

const app = await startImapAppliance({ imap: { allowInsecureAuth: true } }, ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace']);
t.teardown(() => app.close());

const crlf = (lines: string[]) => lines.join('\r\n');

async function connect(user: string): Promise<RawClient> {
  const c = await RawClient.connect(app.imapPort);
  await c.line();
  const r = await cmd(c, `LOGIN ${user}@example.test pw-${user}`);
  if (!/ OK /.test(r)) throw new Error(`login failed: ${r}`);
  return c;
}

let n = 0;
/** Sends a command under a fresh tag; the transcript up to and including its completion. */
async function cmd(c: RawClient, line: string | Buffer, tag?: string): Promise<string> {
  const tg = tag ?? `t${++n}`;
  c.write(Buffer.concat([Buffer.from(`${tg} `), Buffer.isBuffer(line) ? line : Buffer.from(line + '\r\n', 'latin1')]));
  return upTo(c, tg);
}

async function upTo(c: RawClient, tag: string): Promise<string> {
  let out = '';
  for (;;) {
    const l = await c.line(15_000);
    out += l;
    // a literal's line announces bytes that may hold CRLF: read them whole
    const lit = /~?\{(\d+)\}\r\n$/.exec(l);
    if (lit) out += await c.bytes(Number(lit[1]));
    else if (l.startsWith(`${tag} `)) return out;
  }
}

/** APPENDs with a literal8 (RFC 3516 §4.4) and LITERAL+; returns the completion. */
async function append(c: RawClient, box: string, msg: string, extra = ''): Promise<string> {
  return cmd(c, Buffer.from(`APPEND ${box}${extra} ~{${Buffer.byteLength(msg, 'latin1')}+}\r\n${msg}\r\n`, 'latin1'));
}

/** Delivers a message over SMTP, as mail arrives. */
async function deliver(to: string, msg: string): Promise<void> {
  const s = await RawClient.smtp(app.smtpPort);
  const ok = (r: string, code: string) => {
    if (!r.startsWith(code)) throw new Error(`SMTP: ${r}`);
  };
  ok(await s.command('MAIL FROM:<sender@example.org>'), '250');
  ok(await s.command(`RCPT TO:<${to}@example.test>`), '250');
  ok(await s.command('DATA'), '354');
  ok(await s.command(`${msg}\r\n.`), '250');
  await s.command('QUIT');
  s.close();
}

t.test('BINARY (RFC 3516): quoted-printable padding and trailing white space, base64, empty parts, literal8', async (t) => {
  const c = await connect('alice');
  const msg = crlf([
    'From: a@example.org', 'Subject: binary', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
    '--b', 'Content-Type: text/plain', 'Content-Transfer-Encoding: quoted-printable', '',
    // RFC 2045 §6.7 rule 3: trailing white space is removed; "=" then white space is a soft break
    'hello  \t', 'soft=  \t', 'break', 'nul=00here', '=3D end',
    '--b', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: Quoted-Printable', '',
    'caf=C3=A9  ', 'line two=',
    '--b', 'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '',
    'aGVs bG8g', 'd29y bGQ=',
    '--b', 'Content-Type: text/plain', '',
    '--b--', '',
  ]);
  t.match(await append(c, 'INBOX', msg), /OK \[APPENDUID \d+ 1\]/);
  await cmd(c, 'SELECT INBOX');
  const sizes = await cmd(c, 'FETCH 1 (BINARY.SIZE[1] BINARY.SIZE[2] BINARY.SIZE[3] BINARY.SIZE[4])');
  t.match(sizes, '* 1 FETCH (BINARY.SIZE[1] 33 BINARY.SIZE[2] 15 BINARY.SIZE[3] 11 BINARY.SIZE[4] 0)', 'decoded sizes');
  t.match(await cmd(c, 'FETCH 1 (BINARY.PEEK[1])'), '* 1 FETCH (BINARY[1] ~{33}\r\nhello\r\nsoftbreak\r\nnul\x00here\r\n= end)', 'QP decoded; NUL: literal8');
  t.match(await cmd(c, 'FETCH 1 (BINARY.PEEK[2])'), '* 1 FETCH (BINARY[2] {15}\r\ncaf\xc3\xa9\r\nline two)', 'a soft break at the end of the part');
  t.match(await cmd(c, 'FETCH 1 (BINARY.PEEK[3])'), '* 1 FETCH (BINARY[3] {11}\r\nhello world)', 'base64 with white space');
  t.match(await cmd(c, 'FETCH 1 (BINARY.PEEK[1]<5.7>)'), '* 1 FETCH (BINARY[1]<5> {7}\r\n\r\nsoftb)', 'a partial without NUL is a plain literal');
  t.match(await cmd(c, 'FETCH 1 (BINARY.PEEK[1]<16.6>)'), '* 1 FETCH (BINARY[1]<16> ~{6}\r\n\r\nnul\x00)', 'a partial holding the NUL is a literal8');
  t.match(await cmd(c, 'FETCH 1 (BODY.PEEK[4] BINARY.PEEK[4])'), '* 1 FETCH (BODY[4] {0}\r\n BINARY[4] {0}\r\n)', 'an empty part is a zero-length literal');
  const empty = 'Subject: empty\r\nContent-Transfer-Encoding: binary\r\n\r\n';
  t.match(await append(c, 'INBOX', empty), /OK \[APPENDUID \d+ 2\]/);
  await cmd(c, 'NOOP');
  t.match(await cmd(c, 'FETCH 2 (BODY.PEEK[1] BINARY.PEEK[1] BINARY.SIZE[1] BODY.PEEK[TEXT])'),
    '* 2 FETCH (BODY[1] {0}\r\n BINARY[1] {0}\r\n BINARY.SIZE[1] 0 BODY[TEXT] {0}\r\n)', 'literal8 APPEND of an empty body: {0}');
  c.close();
});

const INNER_DEEP = crlf(['From: deep@example.org', 'Subject: deep', '', 'deep body']);
const INNER = crlf([
  'From: inner@example.org', 'Subject: inner', 'Content-Type: multipart/mixed; boundary="i"', '',
  '--i', 'Content-Type: text/plain', '', 'inner text',
  '--i', 'Content-Type: message/rfc822', '', INNER_DEEP,
  '--i--',
]);
const OUTER = crlf([
  'From: outer@example.org', 'Subject: outer', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="o"', '',
  '--o', 'Content-Type: text/plain', '', 'outer text',
  '--o', 'Content-Type: message/rfc822', '', INNER,
  '--o--', '',
]);
/** A message that is itself message/rfc822 all through: a forward of a forward. */
const WRAPPED = crlf(['From: w@example.org', 'Subject: wrapped', 'Content-Type: message/rfc822', '',
  'From: mid@example.org', 'Subject: mid', 'Content-Type: message/rfc822', '', INNER_DEEP]);

t.test('sections of message/rfc822 parts (RFC 3501 §6.4.5), nested, with partial fetches', async (t) => {
  const c = await connect('bob');
  await append(c, 'INBOX', OUTER);
  await append(c, 'INBOX', WRAPPED);
  await cmd(c, 'SELECT INBOX');
  const lit = (s: string) => `{${s.length}}\r\n${s}`;
  const part = (sec: string, body: string) => `BODY[${sec}] ${lit(body)}`;
  const innerHeader = crlf(['From: inner@example.org', 'Subject: inner', 'Content-Type: multipart/mixed; boundary="i"', '', '']);
  const innerText = INNER.slice(innerHeader.length);
  const cases: [string, string][] = [
    ['2', INNER],
    ['2.HEADER', innerHeader],
    ['2.TEXT', innerText],
    ['2.MIME', 'Content-Type: message/rfc822\r\n\r\n'],
    ['2.1', 'inner text'],
    ['2.1.MIME', 'Content-Type: text/plain\r\n\r\n'],
    ['2.2', INNER_DEEP],
    ['2.2.MIME', 'Content-Type: message/rfc822\r\n\r\n'],
    ['2.2.HEADER', 'From: deep@example.org\r\nSubject: deep\r\n\r\n'],
    ['2.2.TEXT', 'deep body'],
    ['2.2.1', 'deep body'],
    ['2.HEADER.FIELDS (SUBJECT)', 'Subject: inner\r\n\r\n'],
  ];
  for (const [sec, body] of cases) {
    t.match(await cmd(c, `FETCH 1 (BODY.PEEK[${sec}])`), `* 1 FETCH (${part(sec, body)})\r\n`, `BODY[${sec}]`);
  }
  t.match(await cmd(c, 'FETCH 1 (BODY.PEEK[2.HEADER]<6.5>)'), `* 1 FETCH (BODY[2.HEADER]<6> ${lit('inner')})`, 'partial of a header');
  t.match(await cmd(c, 'FETCH 1 (BODY.PEEK[2.2.TEXT]<5.100>)'), `* 1 FETCH (BODY[2.2.TEXT]<5> ${lit('body')})`, 'partial past the end');
  t.match(await cmd(c, 'FETCH 1 (BODY.PEEK[2.2.1]<0.4>)'), `* 1 FETCH (BODY[2.2.1]<0> ${lit('deep')})`);
  const mid = crlf(['From: mid@example.org', 'Subject: mid', 'Content-Type: message/rfc822', '', INNER_DEEP]);
  const wrappedCases: [string, string][] = [
    ['1', mid],
    ['1.HEADER', 'From: mid@example.org\r\nSubject: mid\r\nContent-Type: message/rfc822\r\n\r\n'],
    ['1.TEXT', INNER_DEEP],
    ['1.1', INNER_DEEP],
    ['1.1.HEADER', 'From: deep@example.org\r\nSubject: deep\r\n\r\n'],
    ['1.1.TEXT', 'deep body'],
    ['1.1.1', 'deep body'],
  ];
  for (const [sec, body] of wrappedCases) {
    t.match(await cmd(c, `FETCH 2 (BODY.PEEK[${sec}])`), `* 2 FETCH (${part(sec, body)})\r\n`, `message/rfc822 message: BODY[${sec}]`);
  }
  t.match(await cmd(c, 'FETCH 2 (BODY.PEEK[1.1.HEADER]<0.4>)'), `* 2 FETCH (BODY[1.1.HEADER]<0> ${lit('From')})`);
  c.close();
});

t.test('ENVELOPE groups, empty groups, comments, routes, display names without an address (RFC 3501 §7.4.2)', async (t) => {
  const c = await connect('carol');
  await append(c, 'INBOX', crlf([
    'From: "Joe Q. Public" <john.q.public@example.com>',
    'To: group: a@b.example, "C D" <c@d.example>;, empty-group:;, Undisclosed Name',
    'Cc: user@domain.example (Real Name)',
    'Sender: ',
    'Reply-To: <@route.example:u@x.example>',
    'Subject: groups', '', 'body', '']));
  await cmd(c, 'SELECT INBOX');
  const from = '(("Joe Q. Public" NIL "john.q.public" "example.com"))';
  const env = await cmd(c, 'FETCH 1 ENVELOPE');
  t.match(env, `* 1 FETCH (ENVELOPE (NIL "groups" ${from} ${from} ((NIL "@route.example" "u" "x.example")) `
    + '((NIL NIL "group" NIL)(NIL NIL "a" "b.example")("C D" NIL "c" "d.example")(NIL NIL NIL NIL)'
    + '(NIL NIL "empty-group" NIL)(NIL NIL NIL NIL)("Undisclosed Name" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")) '
    + '(("Real Name" NIL "user" "domain.example")) NIL NIL NIL))');
  c.close();
});

t.test('SEARCH FROM/TO/CC and SORT FROM/TO/CC on addresses, groups and display names (RFC 3501 §6.4.4, RFC 5256 §3)', async (t) => {
  const c = await connect('dave');
  const msgs = [
    ['From: user-from@domain.org', 'To: Zed <zed@x.example>', 'Cc: m@x.example'],
    ['From: RealFrom <user-from@domain.org>', 'To: group: beta@x.example;', 'Cc: "Aa" <zz@x.example>'],
    ['From: <user-from (comment)@ (comment) domain.org>', 'To: <alpha@x.example>', 'Cc: undisclosed-recipients:;'],
    ['From: user-from@domain.org (RealFrom)', 'To: Alpha@y.example', 'Cc: B <b@x.example>'],
    ['From: other@domain.org, user-from2@domain.org', 'To: groupname: groupuser1@domain.org, groupuser2@domain.org;', 'Cc: Ccc'],
  ];
  for (const m of msgs) await append(c, 'INBOX', crlf([...m, 'Subject: s', '', 'b', '']));
  await cmd(c, 'SELECT INBOX');
  const search = async (q: string) => (await cmd(c, `SEARCH ${q}`)).split('\r\n')[0];
  t.equal(await search('FROM user-from@domain.org'), '* SEARCH 1 2 3 4', 'the address, comments inside it removed');
  t.equal(await search('FROM realfrom'), '* SEARCH 2 4', 'display name and comment name');
  t.equal(await search('FROM ser-fro'), '* SEARCH 1 2 3 4 5');
  t.equal(await search('FROM user-from2'), '* SEARCH 5', 'a second address');
  t.equal(await search('TO groupname'), '* SEARCH 5', 'a group name');
  t.equal(await search('TO groupuser2'), '* SEARCH 5', 'a group member');
  t.equal(await search('TO groupuser3'), '* SEARCH');
  t.equal(await search('CC undisclosed-recipients'), '* SEARCH 3');
  const sort = async (k: string) => (await cmd(c, `SORT (${k}) US-ASCII ALL`)).split('\r\n')[0];
  // FROM mailboxes: user-from, user-from, user-from, user-from, other
  t.equal(await sort('FROM'), '* SORT 5 1 2 3 4', 'the first address only; ties by sequence number');
  t.equal(await sort('REVERSE FROM'), '* SORT 1 2 3 4 5', 'REVERSE keeps ties in sequence order');
  // TO addr-mailbox of the first address: zed, beta (group marker: the group name "group"), alpha, Alpha, groupname
  t.equal(await sort('TO'), '* SORT 3 4 2 5 1', 'group start marker: its mailbox is the group name; case-insensitive');
  // CC: m, zz, undisclosed-recipients (group), b, Ccc (a local part without domain)
  t.equal(await sort('CC'), '* SORT 4 5 1 3 2', 'a lone word is a local part');
  c.close();
});

t.test('THREAD ORDEREDSUBJECT and REFERENCES on the edge cases of RFC 5256 §2.1, §2.2', async (t) => {
  const c = await connect('erin');
  await cmd(c, 'CREATE Ordered');
  const m = (subject: string, date: string | null, extra: string[] = []) =>
    crlf([`Subject: ${subject}`, ...(date ? [`Date: ${date}`] : []), ...extra, '', 'x', '']);
  const ordered: [string, string | null, string?][] = [
    ['Hello', '05 Mar 2026 10:00:00 +0000'],
    ['Re: [list] hello', '03 Mar 2026 10:00:00 +0000'],
    ['[list] Fwd: hello (fwd)', '04 Mar 2026 10:00:00 +0000'],
    ['[fwd: hello]', '06 Mar 2026 10:00:00 +0000'],
    ['Re: Re: re : HELLO', 'Mon, 02 Mar 2026 12:00:00 +0100'],
    ['[only-blob]', '01 Mar 2026 10:00:00 +0000'],
    // not a date: the internal date (APPEND's, 8 Mar) is the sent date (RFC 5256 §2.2)
    ['hello', 'not a date 3'],
    ['=?UTF-8?Q?Re=3A_HeLLo?=', '07 Mar 2026 10:00:00 -0100'],
  ];
  for (const [s, d] of ordered) await append(c, 'Ordered', m(s, d), ` "${d === 'not a date 3' ? '08-Mar' : '28-Feb'}-2026 10:00:00 +0000"`);
  await cmd(c, 'SELECT Ordered');
  t.equal((await cmd(c, 'THREAD ORDEREDSUBJECT UTF-8 ALL')).split('\r\n')[0], '* THREAD (6)(5 (2)(3)(1)(4)(8)(7))');
  t.equal((await cmd(c, 'SORT (DATE) UTF-8 ALL')).split('\r\n')[0], '* SORT 6 5 2 3 1 4 8 7', 'sent dates in UTC; an unparsable Date is the internal date');

  await cmd(c, 'CREATE Refs');
  const r = (id: string | null, subject: string, day: number, extra: string[] = []) =>
    m(subject, `0${day} Apr 2026 10:00:00 +0000`, [...(id ? [`Message-ID: <${id}@x>`] : []), ...extra]);
  const refs = [
    r('a', 'thread', 1),
    r('b', 'Re: thread', 2, ['References: <a@x>']),
    r('c', 'Re: thread', 3, ['References: <missing1@x> <missing2@x>']),
    r('d', 'other', 4, ['References: <x1@x>']),
    r('e', 'another', 5, ['References: <x1@x>']),
    r('f', 'Re: lonely', 6, ['In-Reply-To: <nope@x>']),
    r('a', 'dup', 7),
    r(null, 'no id', 8, ['References: <b@x>']),
    // a [blob] alone does not make a reply: two threads of one subject go under a dummy
    r('g', '[list] topic', 8),
    r('h', 'topic', 9),
  ];
  for (const msg of refs) await append(c, 'Refs', msg);
  await cmd(c, 'SELECT Refs');
  t.equal((await cmd(c, 'THREAD REFERENCES UTF-8 ALL')).split('\r\n')[0], '* THREAD (1 (2 8)(3))((4)(5))(6)(7)((9)(10))');
  c.close();
});

t.test('mailbox names with every atom-special character; well-formed oddities never disconnect', async (t) => {
  const c = await connect('frank');
  const odd = "!#$&'+,-.0123456789:;<=>?@^_`|[}";
  // the server writes "&" as "&-" (RFC 3501 §5.1.3), in a quoted string
  const shown = `"${odd.replace('&', '&-')}"`;
  t.match(await cmd(c, `SELECT ${odd}`), /^t\d+ NO \[NONEXISTENT\]/m, 'a missing mailbox: NO, not BAD');
  t.match(await cmd(c, `LIST "" ${odd}%*`), /^t\d+ OK/m, 'LIST with wildcards after the name');
  t.match(await cmd(c, `CREATE ${odd}`), /^t\d+ OK/m, 'CREATE as an atom');
  t.match(await cmd(c, `LIST "" ${odd}`), `* LIST (\\HasNoChildren) "/" ${shown}\r\n`);
  t.match(await cmd(c, `SELECT "${odd}"`), /^t\d+ OK \[READ-WRITE\]/m, 'SELECT quoted');
  t.match(await cmd(c, `STATUS {${odd.length}+}\r\n${odd} (MESSAGES)`), `* STATUS ${shown} (MESSAGES 0)`, 'as a literal');
  t.match(await cmd(c, `LIST "" "${odd}%"`), `* LIST (\\HasNoChildren) "/" ${shown}\r\n`);
  t.match(await cmd(c, `SELECT ${shown}`), /^t\d+ OK \[READ-WRITE\]/m, 'the name as the server writes it selects the same mailbox');
  t.match(await cmd(c, 'CREATE "a]b"'), /^t\d+ OK/m, 'CREATE of a name with "]"');
  t.match(await cmd(c, 'SELECT a]b'), /^t\d+ OK \[READ-WRITE\]/m, '"]" in an astring atom');
  // a batch of well-formed commands a strict parser might trip over
  const batch = [
    `LIST "" ${odd}*%`, `LIST "" [}%`, 'LIST "" *[', 'LIST "" %]', `LSUB "" ${odd}*`, 'SELECT [', 'EXAMINE "["', 'STATUS [} (MESSAGES)', 'SELECT a]b',
    'LIST (SUBSCRIBED RECURSIVEMATCH) "" ("a" "b*")', 'LIST "" ("")', 'SEARCH SUBJECT "[" FROM "]"',
    'FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])', 'FETCH 1:* BODY.PEEK[]<0.1>', 'UID FETCH * (UID)', 'SEARCH 1:*,* UID 1:*',
    'SEARCH OR (SEEN) (UNSEEN) NOT NOT ALL', 'STORE 1:* +FLAGS.SILENT ()', 'CREATE "x/[y]"', 'DELETE "x/[y]"', 'NOOP',
  ];
  for (const line of batch) {
    const r = await cmd(c, line);
    t.notMatch(r, /\* BYE/, line);
    t.match(r, /^t\d+ (OK|NO) /m, `${line}: answered`);
  }
  t.notOk(c.closed, 'still connected');
  c.close();
});

t.test('CONDSTORE (RFC 7162): HIGHESTMODSEQ, MODSEQ in STORE and others\' FETCH, ESEARCH MODSEQ, entry names', async (t) => {
  const c = await connect('alice');
  await cmd(c, 'CREATE Cond');
  for (let i = 0; i < 4; i++) await append(c, 'Cond', `Subject: ${i}\r\n\r\nx\r\n`);
  await cmd(c, 'SELECT Cond');
  const first = await cmd(c, 'FETCH 1 MODSEQ');
  const hms = /\* OK \[HIGHESTMODSEQ (\d+)\]/.exec(first);
  t.ok(hms, 'a CONDSTORE-enabling FETCH MODSEQ sends * OK [HIGHESTMODSEQ n] (§3.1)');
  const mods: number[] = [];
  for (const i of [1, 3, 2, 4]) {
    const r = await cmd(c, `STORE ${i} +FLAGS (\\Seen)`);
    const m = new RegExp(`\\* ${i} FETCH \\(FLAGS \\(\\\\Seen \\\\Recent\\) MODSEQ \\((\\d+)\\)\\)`).exec(r);
    t.ok(m, `STORE ${i}: its FETCH carries MODSEQ once CONDSTORE is on (§3.1.4)`);
    mods[i] = Number(m?.[1]);
  }
  const es = async (q: string) => (await cmd(c, q)).split('\r\n')[0].replace(/TAG "t\d+"/, 'TAG "x"');
  t.equal(await es('SEARCH RETURN (MIN) 1:3 MODSEQ "/flags/\\\\seen" all 1'), `* ESEARCH (TAG "x") MIN 1 MODSEQ ${mods[1]}`, 'MIN: the returned message\'s mod-sequence');
  t.equal(await es('SEARCH RETURN (MAX) 1:3 MODSEQ "/flags/\\\\seen" all 1'), `* ESEARCH (TAG "x") MAX 3 MODSEQ ${mods[3]}`);
  t.equal(await es('SEARCH RETURN () 1:3 MODSEQ "/flags/\\\\seen" all 1'), `* ESEARCH (TAG "x") ALL 1:3 MODSEQ ${mods[2]}`);
  t.equal(await es('SEARCH RETURN (MIN MAX) 2:3 MODSEQ "/flags/\\\\seen" all 1'), `* ESEARCH (TAG "x") MIN 2 MAX 3 MODSEQ ${mods[2]}`);
  t.equal(await es(`SEARCH RETURN (ALL) 2:3 MODSEQ "/flags/\\\\seen" all ${mods[3]}`), `* ESEARCH (TAG "x") ALL 2:3 MODSEQ ${mods[2]}`);
  t.equal(await es(`SEARCH RETURN (ALL) 2:3 MODSEQ "/flags/\\\\seen" all ${mods[4]}`), '* ESEARCH (TAG "x")', 'nothing matches: no MODSEQ');
  t.match(await cmd(c, 'SEARCH MODSEQ "/flags/$Junk" priv 1'), /^t\d+ OK/m, 'entry type priv');
  t.match(await cmd(c, 'SEARCH MODSEQ "/flags/\\\\seen" bogus 1'), /^t\d+ BAD/m, 'an unknown entry type is BAD');
  // another session's change shows up with MODSEQ
  const other = await connect('alice');
  await cmd(other, 'SELECT Cond');
  const st = await cmd(other, 'STORE 1 +FLAGS.SILENT (\\Flagged)');
  t.match(st, /OK/);
  const noop = await cmd(c, 'NOOP');
  t.match(noop, /\* 1 FETCH \(UID \d+ FLAGS \(\\Seen \\Flagged \\Recent\) MODSEQ \(\d+\)\)/, 'others\' changes carry MODSEQ');
  await cmd(c, 'STORE 4 +FLAGS.SILENT (\\Deleted)');
  const ex = await cmd(c, 'EXPUNGE');
  t.match(ex, /^t\d+ OK \[HIGHESTMODSEQ \d+\] /m, 'EXPUNGE\'s tagged OK carries HIGHESTMODSEQ once CONDSTORE is on');
  const ex2 = await cmd(other, 'EXPUNGE');
  t.notMatch(ex2, /HIGHESTMODSEQ/, 'not in a session without CONDSTORE');
  other.close();
  c.close();
});

t.test('\\Recent (RFC 3501 §2.3.2): one session sees a delivery as recent, the first to select after it', async (t) => {
  const a = await connect('grace');
  const b = await connect('grace');
  await cmd(a, 'CREATE Recent');
  t.match(await cmd(a, 'STATUS Recent (RECENT)'), '(RECENT 0)');
  await append(a, 'Recent', 'Subject: r1\r\n\r\nx\r\n');
  await append(a, 'Recent', 'Subject: r2\r\n\r\nx\r\n');
  t.match(await cmd(a, 'SELECT Recent'), /\* 2 EXISTS\r\n\* 2 RECENT\r\n/);
  t.match(await cmd(b, 'SELECT Recent'), /\* 2 EXISTS\r\n\* 0 RECENT\r\n/, 'already claimed by the first session');
  await cmd(a, 'UNSELECT');
  await cmd(b, 'UNSELECT');
  await deliver('grace', 'Subject: r3\r\n\r\nx');
  t.match(await cmd(b, 'SELECT Recent'), /\* 2 EXISTS\r\n\* 0 RECENT\r\n/, 'INBOX delivery does not touch another mailbox');
  await deliver('grace', 'Subject: in1\r\n\r\nx');
  await deliver('grace', 'Subject: in2\r\n\r\nx');
  const inbox = await cmd(a, 'SELECT INBOX');
  const count = Number(/\* (\d+) EXISTS/.exec(inbox)?.[1]);
  t.match(inbox, `* ${count} RECENT\r\n`, 'every delivered message recent for the first session');
  t.match(await cmd(b, 'SELECT INBOX'), `* ${count} EXISTS\r\n* 0 RECENT\r\n`);
  await deliver('grace', 'Subject: in3\r\n\r\nx');
  // b selects again before a has been told of the new message: it is b's
  t.match(await cmd(b, 'SELECT INBOX'), `* ${count + 1} EXISTS\r\n* 1 RECENT\r\n`, 'the delivery between: recent for the first session selecting after it');
  const noop = await cmd(a, 'NOOP');
  t.match(noop, `* ${count + 1} EXISTS\r\n* ${count} RECENT\r\n`, 'the older session keeps its own and does not get the new one');
  t.match(await cmd(a, 'FETCH * FLAGS'), /FLAGS \(\)\)/);
  t.match(await cmd(b, 'FETCH * FLAGS'), /FLAGS \(\\Recent\)\)/);
  t.match(await cmd(a, 'STATUS Recent (RECENT MESSAGES)'), '(RECENT 0 MESSAGES 2)');
  a.close();
  b.close();
});

t.test('LSUB and LIST-EXTENDED SUBSCRIBED RECURSIVEMATCH with pattern lists (RFC 3501 §6.3.9, RFC 5258 §3)', async (t) => {
  const c = await connect('carol');
  for (const b of ['m/t1', 'm/t2/t1', 'm/t3', 'm/t4/t5', 'm/t7/t7', 'm/t8/t8', 'm/t8/t9', 'm/t6']) await cmd(c, `CREATE ${b}`);
  for (const b of ['m/t1', 'm/t2/t1', 'm/t6', 'm/t7/t7', 'm/t8/t8', 'm/t8/t9']) await cmd(c, `SUBSCRIBE ${b}`);
  await cmd(c, 'DELETE m/t6');
  // a name may be sent quoted or as an atom, attributes in any order, and \HasChildren /
  // \HasNoChildren may come unasked (RFC 5258 §4): compared without those differences
  const norm = (l: string) => l
    .replace(/ "([^"\\]*)"(?= |$)/g, (m, name: string) => (name === '/' ? m : ` ${name}`))
    .replace(/^(\* \w+ )\(([^)]*)\)/, (_m, head: string, attrs: string) => `${head}(${attrs.split(' ').filter((a) => a && !/^\\Has(No)?Children$/.test(a)).sort().join(' ')})`);
  const lines = (r: string) => r.split('\r\n').filter((l) => l.startsWith('* ')).map(norm).join('\n');
  t.equal(lines(await cmd(c, 'LSUB "" m/%')), [
    '* LSUB () "/" m/t1', '* LSUB (\\Noselect) "/" m/t2', '* LSUB (\\Noselect) "/" m/t6', '* LSUB (\\Noselect) "/" m/t7', '* LSUB (\\Noselect) "/" m/t8',
  ].join('\n'), 'LSUB %: unsubscribed parents of subscribed children as \\Noselect (§6.3.9)');
  t.equal(lines(await cmd(c, 'LSUB "" m/*')), ['* LSUB () "/" m/t1', '* LSUB () "/" m/t2/t1', '* LSUB (\\Noselect) "/" m/t6', '* LSUB () "/" m/t7/t7', '* LSUB () "/" m/t8/t8', '* LSUB () "/" m/t8/t9'].join('\n'));
  t.equal(lines(await cmd(c, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" *t7')), '* LIST (\\Subscribed) "/" m/t7/t7', 'the child matches the pattern itself: no CHILDINFO parent');
  t.equal(lines(await cmd(c, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" *t8')), '* LIST () "/" m/t8 ("CHILDINFO" ("SUBSCRIBED"))\n* LIST (\\Subscribed) "/" m/t8/t8');
  t.equal(lines(await cmd(c, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" ("m/t2")')), '* LIST () "/" m/t2 ("CHILDINFO" ("SUBSCRIBED"))');
  t.equal(lines(await cmd(c, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" ("m/t2" "m/t2/t1")')), '* LIST (\\Subscribed) "/" m/t2/t1', 'a pattern list: the child is matched, the parent must not be listed');
  t.equal(lines(await cmd(c, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" ("m/t1" "m/t2*")')), '* LIST (\\Subscribed) "/" m/t1\n* LIST (\\Subscribed) "/" m/t2/t1');
  const children = await cmd(c, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" m/t2% RETURN (CHILDREN)');
  t.equal(lines(children), '* LIST () "/" m/t2 ("CHILDINFO" ("SUBSCRIBED"))');
  t.match(children, /^\* LIST \(\\HasChildren\) /m, 'RETURN (CHILDREN): \\HasChildren');
  t.equal(lines(await cmd(c, 'LIST (SUBSCRIBED) "" m/t6')), norm('* LIST (\\Subscribed \\NonExistent) "/" m/t6'));
  c.close();
});

t.test('untagged FLAGS (RFC 3501 §7.2.6) before any FETCH that shows a new keyword, in every session', async (t) => {
  const maker = await connect('dave');
  const idler = await connect('dave');
  const noop = await connect('dave');
  await cmd(maker, 'CREATE Kw');
  await append(maker, 'Kw', 'Subject: k\r\n\r\nx\r\n');
  for (const c of [maker, idler, noop]) await cmd(c, 'SELECT Kw');
  idler.write('i1 IDLE\r\n');
  t.match(await idler.line(), /^\+ /);
  const made = await cmd(maker, 'STORE 1 +FLAGS ($Fresh1)');
  const flagsLine = '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Fresh1)\r\n* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Fresh1 \\*)] Flags permitted\r\n';
  t.match(made, `${flagsLine}* 1 FETCH (FLAGS ($Fresh1 \\Recent))`, 'the session that made it');
  let idled = '';
  while (!/FETCH/.test(idled)) idled += await idler.line();
  t.equal(idled, `${flagsLine}* 1 FETCH (UID 1 FLAGS ($Fresh1))\r\n`, 'IDLE: FLAGS first');
  t.match(await cmd(noop, 'NOOP'), `${flagsLine}* 1 FETCH (UID 1 FLAGS ($Fresh1))`, 'NOOP: FLAGS first');
  await cmd(maker, 'STORE 1 +FLAGS.SILENT ($Fresh2)');
  const two = '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Fresh1 $Fresh2)\r\n';
  idled = '';
  while (!/FETCH/.test(idled)) idled += await idler.line();
  t.match(idled, new RegExp(`^${two.replace(/[\\()$*[\]]/g, '\\$&')}`), 'IDLE: FLAGS before the FETCH of a silent STORE');
  const f = await cmd(noop, 'FETCH 1 (FLAGS)');
  t.ok(f.indexOf(two) >= 0 && f.indexOf(two) < f.indexOf('FETCH'), `a FETCH command: FLAGS before the first FETCH that shows it\n${f}`);
  await append(maker, 'Kw', 'Subject: k2\r\n\r\nx\r\n', ' ($Fresh3)');
  idled = '';
  while (!/EXISTS/.test(idled)) idled += await idler.line();
  t.match(idled, /^\* FLAGS \([^)]*\$Fresh3\)\r\n\* OK \[PERMANENTFLAGS/, 'APPEND with a new keyword: FLAGS before EXISTS');
  const s = await cmd(noop, 'SEARCH KEYWORD $Fresh3');
  t.match(s, /^\* FLAGS \([^)]*\$Fresh3\)\r\n/, 'FLAGS first whatever the command');
  idler.write('DONE\r\n');
  t.match(await upTo(idler, 'i1'), /i1 OK/);
  for (const c of [maker, idler, noop]) c.close();
});

t.test('STATUS (HIGHESTMODSEQ) is a CONDSTORE-enabling command (RFC 7162 §3.1, §3.1.8)', async (t) => {
  const c = await connect('erin');
  await cmd(c, 'CREATE Hms');
  await append(c, 'Hms', 'Subject: a\r\n\r\nx\r\n');
  // a session that never asked for CONDSTORE: STORE's FETCH has no MODSEQ
  const plain = await connect('erin');
  await cmd(plain, 'SELECT Hms');
  t.notMatch(await cmd(plain, 'STORE 1 +FLAGS (\\Seen)'), /MODSEQ/, 'no MODSEQ before any CONDSTORE-enabling command');
  plain.close();
  // STATUS ... (HIGHESTMODSEQ) before SELECT: CONDSTORE is on for the session from then on
  t.match(await cmd(c, 'STATUS Hms (HIGHESTMODSEQ)'), /^\* STATUS "Hms" \(HIGHESTMODSEQ \d+\)/m);
  const sel = await cmd(c, 'SELECT Hms');
  t.match(sel, /\* OK \[HIGHESTMODSEQ \d+\]/, 'SELECT reports HIGHESTMODSEQ (§3.1.2.1)');
  t.match(await cmd(c, 'STORE 1 +FLAGS (\\Flagged)'), /\* 1 FETCH \(FLAGS \([^)]*\) MODSEQ \(\d+\)\)/, 'STORE\'s FETCH carries MODSEQ (§3.1.4)');
  c.close();
  // STATUS HIGHESTMODSEQ with a mailbox selected: the first enabling command announces it
  const d = await connect('erin');
  await cmd(d, 'SELECT Hms');
  t.match(await cmd(d, 'STATUS INBOX (HIGHESTMODSEQ)'), /\* OK \[HIGHESTMODSEQ \d+\]/, 'with a mailbox selected, * OK [HIGHESTMODSEQ n] follows (§3.1)');
  t.match(await cmd(d, 'STORE 1 -FLAGS (\\Flagged)'), /MODSEQ \(\d+\)/, 'and FETCH carries MODSEQ from then on');
  d.close();
});
