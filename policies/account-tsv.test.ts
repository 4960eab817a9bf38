import t from 'tap';
import { decodeAccountTsv, parseAccountTsv, serializeAccountTsv, type AccountTsvRow } from './account-tsv.ts';
import { UsageError } from '../core/errors.ts';

const taro: AccountTsvRow = {
  account: 'Taro', password: 'secret', fullName: 'Yamada, Taro', domain: 'abc.co.jp', home: 'C:\\Mail\\Taro',
  smtpAuth: true, apop: false, quota: 0,
};
const hanako: AccountTsvRow = {
  account: 'hanako.sato', password: 'p a ss', fullName: '佐藤 花子', domain: 'def.co.jp', home: '',
  smtpAuth: false, apop: true, quota: 10485760,
};

/** Runs fn, expecting a UsageError, and returns its message. */
function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error('expected a UsageError');
}

t.test('parses the seed format, full names with spaces and Japanese survive', async (t) => {
  const text = 'Taro\tsecret\tYamada, Taro\tabc.co.jp\tC:\\Mail\\Taro\t1\t0\t0\n' +
    'hanako.sato\tp a ss\t佐藤 花子\tdef.co.jp\t\t0\t1\t10485760\n';
  const { rows, eol } = parseAccountTsv(text);
  t.strictSame(rows, [taro, hanako]);
  t.equal(eol, '\n');
});

t.test('canonical text round-trips exactly', async (t) => {
  for (const eol of ['\n', '\r\n'] as const) {
    const text = [
      'Taro\tsecret\tYamada, Taro\tabc.co.jp\tC:\\Mail\\Taro\t1\t0\t0',
      'hanako.sato\tp a ss\t佐藤 花子\tdef.co.jp\t\t0\t1\t10485760',
    ].map((l) => l + eol).join('');
    const parsed = parseAccountTsv(text);
    t.equal(parsed.eol, eol);
    t.equal(serializeAccountTsv(parsed.rows, { eol: parsed.eol }), text, JSON.stringify(eol));
  }
});

t.test('rows round-trip through serialize and parse', async (t) => {
  const rows = [taro, hanako, { ...taro, account: 'a+b_c-d', fullName: '', home: '/var/mail/x', quota: 1 }];
  t.strictSame(parseAccountTsv(serializeAccountTsv(rows)).rows, rows);
  t.strictSame(parseAccountTsv(serializeAccountTsv(rows, { eol: '\r\n' })).rows, rows);
  t.equal(serializeAccountTsv([]), '');
});

t.test('comments, blank lines, CRLF, BOM, no final newline', async (t) => {
  const text = '\uFEFF# exported 2026-01-01\r\n\r\n\' seed comment\r\n   \r\nTaro\tsecret\tYamada, Taro\tabc.co.jp\tC:\\Mail\\Taro\t1\t0\t0';
  const { rows, eol } = parseAccountTsv(text);
  t.strictSame(rows, [taro]);
  t.equal(eol, '\r\n');
  t.strictSame(parseAccountTsv('').rows, []);
  t.strictSame(parseAccountTsv('\uFEFF').rows, []);
});

t.test('flag words and an empty limit', async (t) => {
  const cases: [string, boolean][] = [
    ['1', true], ['0', false], ['yes', true], ['NO', false], ['True', true], ['false', false], ['ON', true], ['off', false], [' 1 ', true],
  ];
  for (const [word, value] of cases) {
    const { rows } = parseAccountTsv(`a\tp\t\tabc.co.jp\t\t${word}\t${word}\t`);
    t.equal(rows[0].smtpAuth, value, word);
    t.equal(rows[0].apop, value, word);
    t.equal(rows[0].quota, 0);
  }
  t.equal(parseAccountTsv('a\tp\t\tabc.co.jp\t\t0\t0\t 2048 ').rows[0].quota, 2048);
});

t.test('every bad line is reported with its number, in one error', async (t) => {
  const text = [
    'good\tp\tName\tabc.co.jp\t\t1\t1\t0', // 1
    'spaces p Name abc.co.jp home 1 1 0', // 2: no TAB
    'short\tp\tName\tabc.co.jp', // 3: 4 fields
    'flag\tp\tName\tabc.co.jp\t\t2\tmaybe\t0', // 4: both flags bad
    'limit\tp\tName\tabc.co.jp\t\t1\t1\t10MB', // 5
    'neg\tp\tName\tabc.co.jp\t\t1\t1\t-1', // 6
    '\tp\tName\t\t\t1\t1\t0', // 7: empty account and domain
    'ta ro\tp\tName\tabc.co.jp\t\t1\t1\t0', // 8: space in account
    '太郎\tp\tName\tabc.co.jp\t\t1\t1\t0', // 9: non-ASCII account
    'x@y\tp\tName\tabc.co.jp\t\t1\t1\t0', // 10
    'GOOD\tp\tName\tABC.co.jp\t\t1\t1\t0', // 11: duplicate of line 1
    'nopass\t\tName\tabc.co.jp\t\t1\t1\t0', // 12
    'dom\tp\tName\tabc..co.jp\t\t1\t1\t0', // 13
    'many\tp\tName\tabc.co.jp\t\t1\t1\t0\textra', // 14
    'dot.\tp\tName\tabc.co.jp\t\t1\t1\t0', // 15
  ].join('\n');
  const message = usageMessage(() => parseAccountTsv(text));
  t.match(message, /14 bad line\(s\)/);
  t.notMatch(message, /line 1:/);
  t.match(message, /line 2: no TAB found: expected 8 TAB-separated fields; spaces are not separators/);
  t.match(message, /line 3: expected 8 TAB-separated fields .*found 4/);
  t.match(message, /line 4: smtp-auth flag "2" is not 0\/1.*; apop flag "maybe" is not 0\/1/);
  t.match(message, /line 5: mailbox limit "10MB" is not a non-negative whole number/);
  t.match(message, /line 6: mailbox limit "-1"/);
  t.match(message, /line 7: account is empty; domain is empty/);
  t.match(message, /line 8: account "ta ro" has invalid characters/);
  t.match(message, /line 9: account "太郎" has invalid characters/);
  t.match(message, /line 10: account "x@y" has invalid characters/);
  t.match(message, /line 11: account GOOD@ABC.co.jp already defined on line 1/);
  t.match(message, /line 12: password is empty/);
  t.match(message, /line 13: domain "abc..co.jp" is not a valid domain name/);
  t.match(message, /line 14: expected 8 .*found 9/);
  t.match(message, /line 15: account "dot\." has invalid characters/);
});

t.test('line numbers count comments, blank lines and CRLF lines', async (t) => {
  const message = usageMessage(() => parseAccountTsv('\uFEFF# c\r\n\r\nbad line\r\n'));
  t.match(message, /line 3: no TAB found/);
});

t.test('a very large limit that is not a safe integer is refused', async (t) => {
  t.match(usageMessage(() => parseAccountTsv('a\tp\t\tabc.co.jp\t\t1\t1\t99999999999999999999')), /line 1: mailbox limit/);
});

t.test('serialize refuses rows that could not be read back', async (t) => {
  const message = usageMessage(() => serializeAccountTsv([
    taro,
    { ...taro, account: 'b', fullName: 'tab\there' },
    { ...taro, account: '', home: 'line\nbreak' },
    { ...taro, account: 'c', quota: 1.5 },
    { ...taro, account: '#comment' },
  ]));
  t.match(message, /4 row\(s\) cannot be written/);
  t.match(message, /row 2: full name contains a TAB or control character/);
  t.match(message, /row 3: account is empty; home contains a TAB/);
  t.match(message, /row 4: mailbox limit 1.5/);
  t.match(message, /row 5: account "#comment" has invalid characters/);
});

t.test('decodeAccountTsv reads UTF-8 and falls back to Shift_JIS', async (t) => {
  const line = 'taro\tp\t山田 太郎\tabc.co.jp\t\t1\t0\t0\r\n';
  t.equal(decodeAccountTsv(new TextEncoder().encode(line)), line);
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(line)]);
  t.strictSame(parseAccountTsv(decodeAccountTsv(bom)).rows[0].fullName, '山田 太郎');
  // 山田 太郎 in Shift_JIS.
  const sjis = new Uint8Array([
    ...Buffer.from('taro\tp\t'), 0x8e, 0x52, 0x93, 0x63, 0x20, 0x91, 0xbe, 0x98, 0x59, ...Buffer.from('\tabc.co.jp\t\t1\t0\t0\r\n'),
  ]);
  t.equal(decodeAccountTsv(sjis), line);
});
