import t from 'tap';
import { formatMemberFile, parseMemberFile, parseMemberLine } from './list-members.ts';

t.test('the seed manual example file', async (t) => {
  const file = '# サンプルファイル\r\nオーナー <listowner@abc.co.jp>\r\nゲスト１ <User1@def.or.jp>\r\n# その他\r\nUser2@ghi.com\r\n<User3@jkl.co.jp>\r\n';
  const r = parseMemberFile(file);
  t.strictSame(r.members, [
    { address: 'listowner@abc.co.jp', name: 'オーナー' },
    { address: 'User1@def.or.jp', name: 'ゲスト１' },
    { address: 'User2@ghi.com', name: '' },
    { address: 'User3@jkl.co.jp', name: '' },
  ]);
  t.strictSame(r.errors, []);
});

t.test('lines', async (t) => {
  const cases: [string, ReturnType<typeof parseMemberLine>][] = [
    ['a@b.test', { address: 'a@b.test', name: '' }],
    ['  "Quoted Name" <q@b.test>  ', { address: 'q@b.test', name: 'Quoted Name' }],
    ['<x@y.test>', { address: 'x@y.test', name: '' }],
    ['not an address', null],
    ['Name <broken>', null],
    ['a@b@c', null],
  ];
  for (const [line, want] of cases) t.strictSame(parseMemberLine(line), want, line);
});

t.test('bad lines are reported with their number; duplicates (any case) kept once; BOM', async (t) => {
  const r = parseMemberFile('\uFEFFa@b.test\nrubbish\n\nA@B.test\n');
  t.strictSame(r.members, [{ address: 'a@b.test', name: '' }]);
  t.strictSame(r.errors, [{ line: 2, text: 'rubbish' }]);
});

t.test('export round-trips', async (t) => {
  const members = [{ address: 'o@abc.co.jp', name: 'オーナー' }, { address: 'u@ghi.com', name: '' }];
  const text = formatMemberFile(members, 'list test');
  t.equal(text, '# list test\nオーナー <o@abc.co.jp>\nu@ghi.com\n');
  t.strictSame(parseMemberFile(text).members, members);
});
