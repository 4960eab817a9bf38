// Table tests of the message commands' parsers (FETCH, STORE, COPY, MOVE, SEARCH, SORT,
// THREAD, EXPUNGE): argument text in, typed arguments or the BAD's text out.
import t from 'tap';
import { parseArgs, refusal } from './parse-table.ts';
import { STORE } from './store.ts';
import { FETCH } from './fetch.ts';
import { COPY, MOVE } from './copy.ts';
import { SEARCH } from './search.ts';
import { SORT, THREAD } from './sort.ts';
import { EXPUNGE } from './expunge.ts';

t.test('STORE', async (t) => {
  const cases: [string, object][] = [
    ['1:3 +FLAGS (\\Seen)', { set: { saved: false, ranges: [[1, 3]], byUid: false }, mode: 'add', silent: false, flags: ['\\Seen'] }],
    ['1 -flags.silent \\deleted $Junk', { mode: 'remove', silent: true, flags: ['\\Deleted', '$Junk'] }],
    ['$ FLAGS ()', { set: { saved: true }, mode: 'set', flags: [] }],
    ['2 (UNCHANGEDSINCE 12345) FLAGS.SILENT (\\Flagged)', { unchangedSince: 12345, mode: 'set', silent: true, flags: ['\\Flagged'] }],
  ];
  for (const [text, want] of cases) t.match(parseArgs(STORE, text), want, text);
  t.match(parseArgs(STORE, '5:* +FLAGS (a)', { uid: true }), { set: { byUid: true, ranges: [[5, Infinity]] } }, 'UID STORE sets are UIDs');
  const bad: [string, RegExp][] = [
    ['x +FLAGS (\\Seen)', /sequence set/],
    ['1 (UNCHANGEDSINCE x) FLAGS (a)', /store modifier/],
    ['1 (CHANGEDSINCE 1) FLAGS (a)', /store modifier/],
    ['1 +LABELS (a)', /Expected FLAGS/],
    ['1 +FLAGS (\\Bogus)', /system flag/],
    ['1 +FLAGS (a]b)', /Invalid keyword/],
  ];
  for (const [text, want] of bad) t.match(refusal(STORE, text), want, text);
});

t.test('FETCH', async (t) => {
  t.match(parseArgs(FETCH, '1:4 (UID FLAGS)'), { set: { saved: false, ranges: [[1, 4]], byUid: false }, items: [{ kind: 'UID' }, { kind: 'FLAGS' }], changedSince: null, vanished: false });
  t.match(parseArgs(FETCH, '$ FAST'), { set: { saved: true }, items: [{ kind: 'FLAGS' }, { kind: 'INTERNALDATE' }, { kind: 'RFC822.SIZE' }] }, 'a macro');
  t.match(parseArgs(FETCH, '1 BODY.PEEK[HEADER.FIELDS (From Subject)]<0.100>'), {
    items: [{ kind: 'section', name: 'BODY[HEADER.FIELDS (From Subject)]', peek: true, section: { spec: 'HEADER.FIELDS', fields: ['From', 'Subject'] }, partial: [0, 100], setsSeen: false }],
  });
  t.match(parseArgs(FETCH, '1:* (FLAGS) (CHANGEDSINCE 42 VANISHED)', { uid: true }), { set: { byUid: true }, changedSince: 42, vanished: true });
  t.match(parseArgs(FETCH, '2 BINARY[1.2]<5.10>'), { items: [{ kind: 'binary', path: [1, 2], partial: [5, 10], setsSeen: true }] });
  const bad: [string, RegExp][] = [
    ['1:x (UID)', /sequence set/],
    ['1 (UID BOGUS)', /Invalid fetch item BOGUS/],
    ['1 ()', /Invalid fetch items/],
    ['1 BODY[0]', /Invalid section/],
    ['1 (UID) (CHANGEDSINCE x)', /fetch modifier/],
    ['1 (UID) (CHANGEDSINCE 1 EARLIER)', /fetch modifier/],
    ['1 (UID) CHANGEDSINCE', /Expected fetch modifiers/],
  ];
  for (const [text, want] of bad) t.match(refusal(FETCH, text), want, text);
});

t.test('COPY and MOVE', async (t) => {
  t.same(parseArgs(COPY, '1:2,5 Trash'), { set: { saved: false, ranges: [[1, 2], [5, 5]], byUid: false }, mailbox: 'Trash' });
  t.same(parseArgs(MOVE, '$ inbox/Sub'), { set: { saved: true }, mailbox: 'INBOX/Sub' });
  t.same(parseArgs(COPY, '3 "Entw&APw-rfe"', { uid: true }), { set: { saved: false, ranges: [[3, 3]], byUid: true }, mailbox: 'Entwürfe' }, 'modified UTF-7 name');
  t.same(parseArgs(MOVE, '3 "Entw&APw-rfe"', { utf8Names: true }).mailbox, 'Entw&APw-rfe', 'UTF-8 names taken as they are');
  t.match(refusal(COPY, '0 Trash'), /sequence set/);
  t.match(refusal(MOVE, '"1" Trash'), /sequence set/);
  t.match(refusal(COPY, '1 (Trash)'), /Expected mailbox name/);
});

t.test('SEARCH', async (t) => {
  t.same(parseArgs(SEARCH, 'UNSEEN'), { ret: null, charset: null, keys: { criteria: { k: 'flag', flag: '\\Seen', set: false } } });
  t.same(parseArgs(SEARCH, 'RETURN () CHARSET utf-8 FROM "bob" SINCE 1-Feb-2024'), {
    ret: ['ALL'], charset: 'UTF-8',
    keys: { criteria: { k: 'and', cs: [{ k: 'header', field: 'from', value: 'bob', address: true }, { k: 'date', internal: true, op: 'since', day: Date.UTC(2024, 1, 1) }] } },
  });
  t.same(parseArgs(SEARCH, 'RETURN (min COUNT save) OR $ NOT UID 1:3 MODSEQ 7'), {
    ret: ['MIN', 'COUNT', 'SAVE'], charset: null,
    keys: { criteria: { k: 'and', cs: [{ k: 'or', a: { k: 'saved' }, b: { k: 'not', c: { k: 'uid', set: [[1, 3]] } } }, { k: 'modseq', n: 7 }] } },
  });
  t.same(parseArgs(SEARCH, 'CHARSET KOI8-R SUBJECT whatever BOGUS'), { ret: null, charset: 'KOI8-R', keys: { unsupportedCharset: 'KOI8-R' } }, 'an unknown charset: the keys are not judged (NO [BADCHARSET])');
  t.same(parseArgs(SEARCH, 'RETURN (SAVE) BOGUS'), { ret: ['SAVE'], charset: null, keys: { refused: 'Unknown search key BOGUS' } }, 'a refused SAVE search reaches run, which empties $');
  const bad: [string, RegExp][] = [
    ['BOGUS', /Unknown search key BOGUS/],
    ['RETURN ALL', /Expected RETURN \(options\)/],
    ['RETURN (MIN PARTIAL) ALL', /Unknown RETURN option/],
    ['CHARSET UTF-8', /Missing search criteria/],
    ['SINCE 31-Foo-2024', /Invalid date/],
    ['LARGER ten', /Invalid number/],
    ['OR SEEN', /Missing search key/],
  ];
  for (const [text, want] of bad) t.match(refusal(SEARCH, text), want, text);
  t.match(refusal(SEARCH, `${'NOT '.repeat(70)}SEEN`), /nested too deeply/, 'nesting is bounded');
});

t.test('SORT', async (t) => {
  t.same(parseArgs(SORT, '(REVERSE DATE subject) UTF-8 ALL'), {
    sort: [{ key: 'DATE', reverse: true }, { key: 'SUBJECT', reverse: false }], charset: 'UTF-8', keys: { criteria: { k: 'all' } },
  });
  t.same(parseArgs(SORT, '(ARRIVAL) us-ascii UNDELETED SMALLER 500').keys, { criteria: { k: 'and', cs: [{ k: 'flag', flag: '\\Deleted', set: false }, { k: 'size', larger: false, n: 500 }] } });
  t.same(parseArgs(SORT, '(SIZE) ISO-8859-1 BOGUS').keys, { unsupportedCharset: 'ISO-8859-1' }, 'an unknown charset is a NO, not a BAD');
  const bad: [string, RegExp][] = [
    ['DATE UTF-8 ALL', /Expected sort criteria/],
    ['(DATE BOGUS) UTF-8 ALL', /Unknown sort key BOGUS/],
    ['(REVERSE) UTF-8 ALL', /Invalid sort criteria/],
    ['(DATE) (UTF-8) ALL', /Expected charset/],
    ['(DATE) UTF-8 BOGUS', /Unknown search key/],
  ];
  for (const [text, want] of bad) t.match(refusal(SORT, text), want, text);
});

t.test('THREAD', async (t) => {
  t.same(parseArgs(THREAD, 'REFERENCES UTF-8 ALL'), { algorithm: 'REFERENCES', charset: 'UTF-8', keys: { criteria: { k: 'all' } } });
  t.same(parseArgs(THREAD, 'orderedsubject US-ASCII SUBJECT "re: x"'), { algorithm: 'ORDEREDSUBJECT', charset: 'US-ASCII', keys: { criteria: { k: 'header', field: 'subject', value: 're: x', address: false } } });
  t.same(parseArgs(THREAD, 'REFERENCES BIG5 ALL').keys, { unsupportedCharset: 'BIG5' });
  const bad: [string, RegExp][] = [
    ['REFS UTF-8 ALL', /Unsupported threading algorithm/],
    ['"REFERENCES" UTF-8 ALL', /Expected threading algorithm/],
    ['REFERENCES UTF-8 HEADER', /Missing field name/],
    ['REFERENCES UTF-8 EMAILID bad!id', /Invalid objectid/],
  ];
  for (const [text, want] of bad) t.match(refusal(THREAD, text), want, text);
});

t.test('EXPUNGE', async (t) => {
  t.same(parseArgs(EXPUNGE, ''), { set: null });
  t.same(parseArgs(EXPUNGE, '4:7,9', { uid: true }), { set: { saved: false, ranges: [[4, 7], [9, 9]], byUid: true } });
  t.same(parseArgs(EXPUNGE, '$', { uid: true }), { set: { saved: true } });
  t.match(refusal(EXPUNGE, '1:3'), /^Syntax: EXPUNGE \| UID EXPUNGE sequence-set$/, 'EXPUNGE takes no set');
  t.match(refusal(EXPUNGE, '', { uid: true }), /^Syntax: /, 'UID EXPUNGE needs one');
  t.match(refusal(EXPUNGE, '1:x', { uid: true }), /sequence set/);
  t.match(refusal(EXPUNGE, '(1)', { uid: true }), /sequence set/);
});
