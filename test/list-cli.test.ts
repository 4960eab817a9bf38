/** `mailserver list ...`: member files in the seed's format (UTF-8 and Shift_JIS), run as the real command. */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import { hasStackTrace, listsConfig, runCli, tempDir } from './helpers/cli.ts';

/** The lists `test` (every hosted domain) and `club@example.test`. */
const listConfig = (dir: string) => listsConfig(dir, ['test', 'club@example.test']);

t.test('import, members, export, add, remove', async (t) => {
  const data = tempDir(t);
  const config = listConfig(data);
  const cli = (...args: string[]) => runCli([...args, '--data', data, ...(args[0] === 'list' && ['add', 'members', 'import'].includes(args[1]!) ? ['--config', config] : [])]);
  t.equal((await cli('domain', 'add', 'example.test')).code, 0);
  const file = path.join(data, 'members.txt');
  const seed = '# サンプルファイル\r\nオーナー <listowner@abc.co.jp>\r\nゲスト１ <User1@def.or.jp>\r\n# その他\r\nUser2@ghi.com\r\n<User3@jkl.co.jp>\r\n';
  fs.writeFileSync(file, iconv.encode(seed, 'shift_jis'));
  const imp = await cli('list', 'import', 'test', file);
  t.equal(imp.code, 0, imp.stderr);
  t.equal(imp.stdout, 'test: 4 member(s) added, 0 already there\n');
  const members = await cli('list', 'members', 'TEST');
  t.equal(members.stdout, 'オーナー <listowner@abc.co.jp>\nゲスト１ <User1@def.or.jp>\nUser2@ghi.com\nUser3@jkl.co.jp\n', 'Shift_JIS names read');

  fs.writeFileSync(path.join(data, 'more.txt'), 'User2@GHI.com\nnew@x.test\n');
  t.equal((await cli('list', 'import', 'test', path.join(data, 'more.txt'))).stdout, 'test: 1 member(s) added, 1 already there\n');
  fs.writeFileSync(path.join(data, 'bad.txt'), 'ok@x.test\nnot an address\n');
  const bad = await cli('list', 'import', 'test', path.join(data, 'bad.txt'));
  t.equal(bad.code, 1);
  t.match(bad.stderr, /nothing imported; line 2: "not an address" is not an address/);
  t.notOk(hasStackTrace(bad.stderr));

  t.equal((await cli('list', 'add', 'club@example.test', 'a@x.test', 'Alice')).stdout, 'club@example.test: added a@x.test\n');
  t.equal((await cli('list', 'add', 'club@example.test', 'a@x.test')).stdout, 'club@example.test: a@x.test is a member already\n');
  const out = path.join(data, 'out.txt');
  t.equal((await cli('list', 'export', 'club@example.test', out)).code, 0);
  t.equal(fs.readFileSync(out, 'utf8'), '# members of club@example.test\nAlice <a@x.test>\n');
  t.equal((await cli('list', 'remove', 'club@example.test', 'A@X.test')).code, 0);
  const gone = await cli('list', 'remove', 'club@example.test', 'a@x.test');
  t.equal(gone.code, 1);
  t.match(gone.stderr, /not a member/);

  fs.writeFileSync(path.join(data, 'only.txt'), 'only@x.test\n');
  t.equal((await cli('list', 'import', 'test', path.join(data, 'only.txt'), '--replace')).stdout, 'test: 1 member(s)\n');
  const exp = await cli('list', 'export', 'test');
  t.equal(exp.stdout, '# members of test\nonly@x.test\n');
  const store = openEmbeddedStore(data);
  t.same((await store.lists!.members('test')).map(({ id: _id, ...m }) => m), [{ address: 'only@x.test', name: '', bounces: 0, disabled: false }], 'in the store the appliance reads');
  await store.close();
  t.equal((await cli('list', 'members', 'bad list')).code, 1);
});

t.test('a list the config does not define is refused, nothing stored for it', async (t) => {
  const data = tempDir(t);
  const config = listConfig(data);
  const cli = (...args: string[]) => runCli([...args, '--data', data, ...(args[0] === 'list' && ['add', 'members', 'import'].includes(args[1]!) ? ['--config', config] : [])]);
  t.equal((await cli('domain', 'add', 'example.test')).code, 0);
  const add = await cli('list', 'add', 'nolist@example.test', 'a@x.test');
  t.equal(add.code, 1, add.stdout);
  t.match(add.stderr, /no list nolist@example\.test in .*mailserver\.config\.ts; the lists defined are test, club@example\.test/);
  t.notOk(hasStackTrace(add.stderr));
  const members = await cli('list', 'members', 'nolist@example.test');
  t.equal(members.code, 1);
  t.match(members.stderr, /no list nolist@example\.test/);
  // a global list named with a domain: the hint says which name the store keeps it under
  const global = await cli('list', 'add', 'test@example.test', 'a@x.test');
  t.equal(global.code, 1);
  t.match(global.stderr, /test is a list at every hosted domain: use the name test/);
  fs.writeFileSync(path.join(data, 'm.txt'), 'a@x.test\n');
  const imp = await cli('list', 'import', 'other', path.join(data, 'm.txt'));
  t.equal(imp.code, 1);
  t.match(imp.stderr, /no list other in /);
  // without any config file (the defaults): no lists at all
  const empty = path.join(data, 'empty');
  fs.mkdirSync(empty);
  const bare = await runCli(['list', 'add', 'club@example.test', 'a@x.test', '--data', data], { cwd: empty });
  t.equal(bare.code, 1);
  t.match(bare.stderr, /no list club@example\.test in the default config \(no config file found\); it defines no lists/);
  const store = openEmbeddedStore(data);
  for (const key of ['nolist@example.test', 'test@example.test', 'other', 'club@example.test']) t.same(await store.lists!.members(key), [], `nothing stored for ${key}`);
  await store.close();
});
