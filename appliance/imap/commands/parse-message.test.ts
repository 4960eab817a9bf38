// Table tests of the message commands' parsers (FETCH, STORE, COPY, MOVE, SEARCH, SORT,
// THREAD, EXPUNGE): argument text in, typed arguments or the BAD's text out.
import t from 'tap';
import { parseArgs, refusal } from './parse-table.ts';
import { STORE } from './store.ts';

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
