/** `mailserver account import|export` with the seed's account TSV (AC-3), run as the real command. */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import { hasStackTrace, runCli, tempDir } from './helpers/cli.ts';

const dir = tempDir(t);
const tsv = (lines: string[]) => lines.map((l) => l + '\r\n').join('');

// As the seed writes it: TAB-separated, CRLF, Japanese full names, 0/1 flags, limit in bytes.
const SEED = tsv([
  'yamada\tpass-y\t山田 太郎\texample.test\tyamada\t1\t1\t10485760',
  'suzuki\tpass-s\t鈴木 花子\texample.test\t\t0\t0\t0',
  'sato\tpass-t\tSato Ichiro\tother.test\tsato\t1\t0\t5242880',
]);

t.test('import: all or nothing, errors name the line', async (t) => {
  const data = path.join(dir, 'a');
  const cli = (...args: string[]) => runCli([...args, '--data', data]);
  await cli('domain', 'add', 'example.test');

  const bad = path.join(dir, 'bad.tsv');
  fs.writeFileSync(bad, SEED + tsv(['tanaka\tpw\tTanaka\texample.test\t\t1\t2\t0']));
  const missing = path.join(dir, 'seed.tsv');
  fs.writeFileSync(missing, SEED);
  const [r1, r2] = await Promise.all([cli('account', 'import', bad), cli('account', 'import', missing)]);
  t.equal(r1.code, 1);
  t.match(r1.stderr, /nothing imported/);
  t.match(r1.stderr, /line 4: apop flag "2"/, 'a malformed line is named');
  t.equal(r2.code, 1);
  t.match(r2.stderr, /nothing imported/);
  t.match(r2.stderr, /line 3: no domain other\.test/, 'a row whose domain is not hosted is named');
  t.notOk(hasStackTrace(r1.stderr + r2.stderr));
  const stores = openEmbeddedStore(data);
  t.equal((await stores.accounts.list()).length, 0, 'nothing was imported');
  await stores.close();

  await cli('domain', 'add', 'other.test');
  const ok = await cli('account', 'import', missing);
  t.equal(ok.code, 0, ok.stderr);
  t.equal(ok.stdout, `imported ${missing}: 3 added, 0 updated\n`);

  const check = openEmbeddedStore(data);
  t.match(await check.accounts.get('yamada@example.test'), {
    fullName: '山田 太郎', home: 'yamada', smtpAuth: true, apop: true, quota: 10485760, pop3Disabled: false, imapDisabled: false,
  });
  t.match(await check.accounts.get('sato@other.test'), { fullName: 'Sato Ichiro', smtpAuth: true, apop: false, quota: 5242880 });
  t.ok(await check.accounts.verifyPassword('suzuki@example.test', 'pass-s'), 'plain passwords are hashed and work');
  t.ok(await check.accounts.getSecret((await check.accounts.get('yamada@example.test'))!.id), 'an APOP account keeps its secret');
  await check.close();

  const again = await cli('account', 'import', missing);
  t.equal(again.code, 1, 'existing accounts are refused without --update');
  t.match(again.stderr, /line 1: account yamada@example\.test already exists \(use --update/);

  const update = path.join(dir, 'update.tsv');
  fs.writeFileSync(update, tsv(['suzuki\tnew-pass\t鈴木 花子\texample.test\t\t1\t1\t1024', 'kato\tpw-k\tKato\texample.test\t\t0\t0\t0']));
  const up = await cli('account', 'import', update, '--update');
  t.equal(up.code, 0, up.stderr);
  t.equal(up.stdout, `imported ${update}: 1 added, 1 updated\n`);
  const after = openEmbeddedStore(data);
  t.match(await after.accounts.get('suzuki@example.test'), { smtpAuth: true, apop: true, quota: 1024 });
  t.ok(await after.accounts.verifyPassword('suzuki@example.test', 'new-pass'));
  t.equal((await after.accounts.list()).length, 4);
  await after.close();

  // the seed ran on Japanese Windows: its files are often Shift_JIS (山田 = 8E 52 93 63)
  const sjis = path.join(dir, 'sjis.tsv');
  fs.writeFileSync(sjis, Buffer.concat([Buffer.from('kimura\tpw\t'), Buffer.from([0x8e, 0x52, 0x93, 0x63]), Buffer.from('\tother.test\t\t0\t0\t0\r\n')]));
  const sj = await cli('account', 'import', sjis);
  t.equal(sj.code, 0, sj.stderr);
  const last = openEmbeddedStore(data);
  t.equal((await last.accounts.get('kimura@other.test'))?.fullName, '山田', 'a Shift_JIS file is decoded');
  await last.close();
});

t.test('export -> import into a fresh data dir -> export gives the same bytes', async (t) => {
  const first = path.join(dir, 'a');
  const second = path.join(dir, 'b');
  const out1 = path.join(dir, 'out1.tsv');
  const out2 = path.join(dir, 'out2.tsv');
  const [toFile, toStdout] = await Promise.all([
    runCli(['account', 'export', out1, '--data', first]),
    runCli(['account', 'export', '--data', first]),
    runCli(['domain', 'add', 'example.test', '--data', second]),
  ]);
  t.equal(toFile.code, 0, toFile.stderr);
  t.equal(toFile.stdout, `exported 5 account(s) to ${out1}\n`);
  t.equal(toStdout.stdout, fs.readFileSync(out1, 'utf8'), 'without a file the TSV goes to stdout');
  t.equal(toStdout.stderr, 'exported 5 account(s)\n', 'and the summary to stderr');
  t.equal(fs.statSync(out1).mode & 0o777, 0o600, 'the export (password hashes) is readable by its owner only');

  const text = fs.readFileSync(out1, 'utf8');
  const lines = text.trimEnd().split('\n');
  t.equal(lines.length, 5);
  for (const line of lines) t.match(line.split('\t')[1], /^\$scrypt\$/, 'the password column holds the stored hash');
  t.notMatch(text, /pass-y|pass-t|new-pass|pw-k/, 'no clear password is exported');
  t.match(text, /^yamada\t\$scrypt\$[^\t]+\t山田 太郎\texample\.test\tyamada\t1\t1\t10485760$/m);

  await runCli(['domain', 'add', 'other.test', '--data', second]);
  const imported = await runCli(['account', 'import', out1, '--data', second]);
  t.equal(imported.code, 0, imported.stderr);
  const exported = await runCli(['account', 'export', out2, '--data', second]);
  t.equal(exported.code, 0, exported.stderr);
  t.ok(fs.readFileSync(out1).equals(fs.readFileSync(out2)), 'byte for byte the same');

  const stores = openEmbeddedStore(second);
  t.ok(await stores.accounts.verifyPassword('yamada@example.test', 'pass-y'), 'the imported hash still checks the password');
  await stores.close();
});
