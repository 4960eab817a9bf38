/** mail.dat: parser (the seed manual's examples), levels, matcher over decoded messages, edits. */
import t from 'tap';
import Encoding from 'encoding-japanese';
import { simpleParser } from 'mailparser';
import { firstMatch, formatLevel, matchesLocally, parseLevel, parseMailDat, type FilterRule } from './mail-dat.ts';
import { decodeHeaderBytes, decodeMessage, uriDomains } from './mail-dat-decode.ts';
import { addHeader, headerOfTag, prependWarning, tagSubject } from './mail-dat-edit.ts';

const SEED = `'------------------------------------------------------
Virus:URIBL multi.surbl.org
RBL:multi.surbl.org
Level:300
Warning:
---------------- warning ---------------------
"URIBL multi.surbl.org"
----------------------------------------------
WarningEnd:
Tag:[SPAM !!]
VirusEnd:
'------------------------------------------------------
Virus:Add Header "X-SPAM:TRUE"
Level:400
Subject:test
Tag:X-SPAM:TRUE
VirusEnd:
Virus:Mail Forward by "X-SPAM:TRUE"
Level:500
Forward:xxx@test-sample.jp
Unique-Header:X-SPAM:TRUE
VirusEnd:
 Virus:Add Header "X-SPAM:TRUE" AND Mail Forward
 Level:700
 Subject:test
 Tag:X-SPAM:TRUE
 Forward:xxxx@test-sample.jp
 VirusEnd:
Virus:body and blank
X-Mailer:#blank
Body:
buy now
cheap pills
BodyEnd:
Folder:C:\\mail\\quarantine
Level:111
VirusEnd:
`;

t.test('the seed manual examples parse', async (t) => {
  const { rules, warnings } = parseMailDat(SEED);
  t.same(warnings, []);
  t.equal(rules.length, 5);
  t.same(rules[0], {
    name: 'URIBL multi.surbl.org', headers: [], body: [], rbl: 'multi.surbl.org', level: { action: 3, keepCopy: false, banIp: false },
    warning: ['---------------- warning ---------------------', '"URIBL multi.surbl.org"', '----------------------------------------------'], tag: '[SPAM !!]',
  });
  t.same(rules[1].headers, [{ header: 'Subject', token: 'test' }]);
  t.same(rules[2].headers, [{ header: 'X-SPAM', token: 'TRUE' }]);
  t.equal(rules[2].forward, 'xxx@test-sample.jp');
  t.same(rules[3].level, { action: 7, keepCopy: false, banIp: false });
  t.same(rules[4].body, ['buy now', 'cheap pills']);
  t.same(rules[4].headers, [{ header: 'X-Mailer', token: '#blank' }]);
  t.same(rules[4].level, { action: 1, keepCopy: true, banIp: true });
  t.equal(rules[4].folder, 'C:\\mail\\quarantine');
});

t.test('levels: every hundreds digit, tens and units', async (t) => {
  for (let h = 0; h <= 7; h++) for (const rest of ['00', '10', '01', '11']) {
    const l = parseLevel(`${h}${rest}`)!;
    t.equal(l.action, h);
    t.equal(l.keepCopy, rest[0] === '1');
    t.equal(l.banIp, rest[1] === '1');
    t.equal(formatLevel(l), `${h}${rest}`);
  }
  t.same(parseLevel('1'), { action: 0, keepCopy: false, banIp: true }, 'short levels pad on the left');
  t.equal(parseLevel('800'), null);
  t.equal(parseLevel('abc'), null);
});

t.test('warnings for bad files', async (t) => {
  const { rules, warnings } = parseMailDat('Subject:x\nVirus:a\nLevel:900\nBody:\n1\n2\n3\n4\n5\n6\nBodyEnd:\nWhat:x\nVirus:b\nLevel:500\nSubject:y\n');
  t.equal(rules.length, 2);
  t.equal(rules[0].body.length, 5);
  t.match(warnings.join('\n'), /outside a Virus: block[\s\S]*Level:900[\s\S]*more than 5[\s\S]*unknown item What[\s\S]*no VirusEnd[\s\S]*needs Forward/);
});

const rule = (over: Partial<FilterRule>): FilterRule => ({ name: 'r', headers: [], body: [], warning: [], level: { action: 1, keepCopy: false, banIp: false }, ...over });

function jis(s: string): Buffer {
  return Buffer.from(Encoding.convert(Encoding.stringToCode(s), { to: 'JIS', from: 'UNICODE' }));
}
function sjis(s: string): Buffer {
  return Buffer.from(Encoding.convert(Encoding.stringToCode(s), { to: 'SJIS', from: 'UNICODE' }));
}

t.test('a Japanese subject token matches however the subject is encoded', async (t) => {
  const r = rule({ headers: [{ header: 'Subject', token: '未承諾広告' }] });
  const subjects: [string, Buffer][] = [
    ['utf-8 raw', Buffer.from('【未承諾広告】セール', 'utf8')],
    ['shift_jis raw', sjis('【未承諾広告】セール')],
    ['iso-2022-jp raw', jis('【未承諾広告】セール')],
    ['B iso-2022-jp', Buffer.from(`=?ISO-2022-JP?B?${jis('【未承諾広告】セール').toString('base64')}?=`)],
    ['B shift_jis', Buffer.from(`=?Shift_JIS?B?${sjis('未承諾広告').toString('base64')}?=`)],
    ['Q utf-8', Buffer.from('=?UTF-8?Q?' + [...Buffer.from('未承諾広告')].map((b) => '=' + b.toString(16).toUpperCase()).join('') + '?=')],
    ['split words', Buffer.from(`=?UTF-8?B?${Buffer.from('未承').toString('base64')}?= =?UTF-8?B?${Buffer.from('諾広告').toString('base64')}?=`)],
  ];
  for (const [what, subject] of subjects) {
    const msg = Buffer.concat([Buffer.from('From: a@b.test\r\nSubject: '), subject, Buffer.from('\r\n\r\nhello\r\n')]);
    t.ok(matchesLocally(r, await decodeMessage(msg)), what);
  }
  t.notOk(matchesLocally(r, await decodeMessage(Buffer.from('Subject: other\r\n\r\nx\r\n'))));
  t.equal(decodeHeaderBytes(sjis('テスト')), 'テスト');
});

t.test('body tokens match decoded bodies (quoted-printable, base64, charsets, multipart)', async (t) => {
  const r = rule({ body: ['当選しました', 'http://'] });
  const text = 'おめでとう！当選しました http://win.example.test/x';
  const bodies: [string, string, Buffer][] = [
    ['8bit utf-8', 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit', Buffer.from(text)],
    ['base64 utf-8', 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64', Buffer.from(Buffer.from(text).toString('base64'))],
    ['qp utf-8', 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable',
      Buffer.from([...Buffer.from(text)].map((b) => (b > 0x7e ? '=' + b.toString(16).toUpperCase().padStart(2, '0') : String.fromCharCode(b))).join('').replace(/(.{70})/g, '$1=\r\n'))],
    ['iso-2022-jp 7bit', 'Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit', jis(text)],
    ['shift_jis base64', 'Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: base64', Buffer.from(sjis(text).toString('base64'))],
    ['multipart html', 'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=XX',
      Buffer.from(`--XX\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(`<p>${text}</p>`).toString('base64')}\r\n--XX--\r\n`)],
  ];
  for (const [what, head, body] of bodies) {
    const msg = Buffer.concat([Buffer.from(`Subject: x\r\n${head}\r\n\r\n`), body, Buffer.from('\r\n')]);
    const d = await decodeMessage(msg);
    t.ok(matchesLocally(r, d), what);
    t.same(d.uriDomains, ['win.example.test'], `${what}: URL domains`);
  }
});

t.test('#blank, Received, AND of conditions, first match wins, RBL asked last', async (t) => {
  const msg = await decodeMessage(Buffer.from('Received: from evil.test by mx\r\nSubject: Hello\r\nX-Empty: \r\n\r\nsee https://bad.example.test/\r\n'));
  t.ok(matchesLocally(rule({ headers: [{ header: 'X-Mailer', token: '#blank' }] }), msg), 'absent');
  t.ok(matchesLocally(rule({ headers: [{ header: 'X-Empty', token: '#BLANK' }] }), msg), 'empty');
  t.notOk(matchesLocally(rule({ headers: [{ header: 'Subject', token: '#blank' }] }), msg));
  t.ok(matchesLocally(rule({ headers: [{ header: 'Received', token: 'EVIL.test' }] }), msg), 'case-insensitive');
  t.notOk(matchesLocally(rule({ headers: [{ header: 'Subject', token: 'hello' }, { header: 'From', token: 'x' }] }), msg), 'AND');
  t.notOk(matchesLocally(rule({}), msg), 'no condition never matches');
  const asked: string[] = [];
  const listed = async (zone: string, d: string[]) => (asked.push(`${zone}:${d}`), zone === 'bad.zone');
  const rules = [rule({ name: 'a', rbl: 'ok.zone' }), rule({ name: 'b', headers: [{ header: 'Subject', token: 'nomatch' }], rbl: 'bad.zone' }), rule({ name: 'c', rbl: 'bad.zone' }), rule({ name: 'd', body: ['see'] })];
  t.equal((await firstMatch(rules, msg, listed))?.name, 'c');
  t.same(asked, ['ok.zone:bad.example.test', 'bad.zone:bad.example.test'], 'rule b fails locally and is not looked up');
  t.same(uriDomains('x http://A.Test/a ftp://user@b.c.test:21 https://a.test'), ['a.test', 'b.c.test']);
});

t.test('edits: subject tag, header tag, warning', async (t) => {
  const msg = Buffer.from(`From: a@b.test\r\nSubject: =?ISO-2022-JP?B?${jis('テスト').toString('base64')}?=\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n`);
  const body = Buffer.concat([msg, jis('本文です'), Buffer.from('\r\n')]);
  const tagged = await simpleParser(tagSubject(body, '[SPAM]'));
  t.equal(tagged.subject, '[SPAM] テスト');
  t.equal((await simpleParser(tagSubject(Buffer.from('From: a\r\n\r\nx\r\n'), '[T]'))).subject, '[T]', 'added when absent');
  t.same(headerOfTag('X-SPAM:TRUE'), { name: 'X-SPAM', value: 'TRUE' });
  t.same(headerOfTag('[SPAM]'), { name: 'X-Mail-Filter', value: '[SPAM]' });
  t.match(addHeader(body, 'X-SPAM', 'TRUE').toString('latin1'), /^X-SPAM: TRUE\r\nFrom: a@b.test\r\n/);
  const warned = prependWarning(body, ['--- warning ---', '注意: 迷惑メールの疑い']);
  const p = await simpleParser(warned);
  t.match(p.text ?? '', /^--- warning ---\n注意: 迷惑メールの疑い\n[\s\S]*本文です/);
  t.match(warned.toString('latin1'), /^From: a@b.test\r\nSubject: =\?ISO-2022-JP/);
});
