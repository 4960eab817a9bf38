/** `mailserver domain ...` and `mailserver alias ...`, run as the real command against a temp data dir. */
import t from 'tap';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import { hasStackTrace, runCli, tempDir } from './helpers/cli.ts';

t.test('domain add / list / delete', async (t) => {
  const data = tempDir(t);
  const cli = (...args: string[]) => runCli([...args, '--data', data]);

  const empty = await cli('domain', 'list');
  t.equal(empty.code, 1, 'listing a data dir with nothing in it is refused');
  t.match(empty.stderr, /no data in .* \(no domain has been added there yet\)/);

  const added = await cli('domain', 'add', 'example.test');
  t.equal(added.code, 0, added.stderr);
  t.equal(added.stdout, 'added domain example.test\n');
  const [abc, bad, again] = await Promise.all([
    cli('domain', 'add', 'ABC.test', '--account-limit', '5', '--admin', 'boss@abc.test', '--copy-errors-to-admin'),
    cli('domain', 'add', 'not a domain'),
    cli('domain', 'add', 'example.test'),
  ]);
  t.equal(abc.stdout, 'added domain abc.test\n', 'names are lower-cased');
  t.equal(bad.code, 1);
  t.match(bad.stderr, /^mailserver: "not a domain" is not a valid domain name\n$/);
  t.equal(again.code, 1);
  t.match(again.stderr, /domain example\.test already exists/);
  t.notOk(hasStackTrace(bad.stderr + again.stderr));

  const list = await cli('domain', 'list');
  t.equal(list.code, 0);
  const lines = list.stdout.trimEnd().split('\n');
  t.match(lines[0], /^DOMAIN\s+ACCOUNTS\s+LIMIT\s+ADMIN\s+COPY ERRORS TO ADMIN$/);
  t.match(lines[1], /^abc\.test\s+0\s+5\s+boss@abc\.test\s+yes$/);
  t.match(lines[2], /^example\.test\s+0\s+none\s+Administrator@example\.test\s+no$/);

  const stores = openEmbeddedStore(data);
  t.strictSame(await stores.domains.get('abc.test'), { name: 'abc.test', accountLimit: 5, admin: 'boss@abc.test', copyErrorsToAdmin: true });
  await stores.accounts.create({
    name: 'u', domain: 'abc.test', fullName: '', home: '', quota: 0, smtpAuth: false, apop: false,
    pop3Disabled: false, imapDisabled: false, sharedPath: '', sharedWrite: false, password: 'pw',
  });
  await stores.close();

  const [refused, missing, badLimit] = await Promise.all([
    cli('domain', 'delete', 'abc.test'),
    cli('domain', 'delete', 'nope.test'),
    cli('domain', 'add', 'x.test', '--account-limit', 'lots'),
  ]);
  t.equal(refused.code, 1, 'a domain with accounts needs --force');
  t.match(refused.stderr, /abc\.test still has 1 account .*--force/);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /no domain nope\.test/);
  t.equal(badLimit.code, 1);
  t.match(badLimit.stderr, /bad --account-limit "lots"/);

  const [forced, plain] = await Promise.all([cli('domain', 'delete', 'abc.test', '--force'), cli('domain', 'delete', 'example.test')]);
  t.equal(forced.stdout, 'deleted domain abc.test (and 1 account, 0 aliases)\n');
  t.equal(plain.stdout, 'deleted domain example.test\n');
  const after = await cli('domain', 'list');
  t.match(after.stdout, /^no domains/);
});

t.test('alias add / list / delete', async (t) => {
  const data = tempDir(t);
  const cli = (...args: string[]) => runCli(['--data', data, ...args]);
  await cli('domain', 'add', 'abc.test');
  await cli('domain', 'add', 'def.test');

  const catchAll = await cli('alias', 'add', '*@abc.test', 'abc-postmaster@abc.test');
  t.equal(catchAll.code, 0, catchAll.stderr);
  t.equal(catchAll.stdout, 'added alias *@abc.test -> abc-postmaster@abc.test\n');
  t.match(catchAll.stderr, /abc-postmaster@abc\.test has no account/, 'warns that the target does not exist yet');
  const results = await Promise.all([
    cli('alias', 'add', '*@def.test', '*@abc.test,1'),
    cli('alias', 'add', 'Info@abc.test', 'real@abc.test,0'),
    cli('alias', 'add', 'fwd@abc.test', 'someone@elsewhere.example'),
  ]);
  for (const r of results) t.equal(r.code, 0, r.stderr);
  t.equal(results[0].stdout, 'added alias *@def.test -> *@abc.test,1\n');

  const list = await cli('alias', 'list');
  t.equal(list.code, 0);
  const lines = list.stdout.trimEnd().split('\n');
  t.match(lines[0], /^ALIAS\s+TARGET\s+ENVELOPE RECIPIENT$/);
  t.match(lines[1], /^\*@abc\.test\s+abc-postmaster@abc\.test\s+keep \(same domain\)$/);
  t.match(lines[2], /^\*@def\.test\s+\*@abc\.test,1\s+rewrite$/);
  t.match(lines[3], /^fwd@abc\.test\s+someone@elsewhere\.example\s+rewrite \(other domain\)$/);
  t.match(lines[4], /^info@abc\.test\s+real@abc\.test,0\s+keep$/);
  t.equal(lines.length, 5);

  const stores = openEmbeddedStore(data);
  t.strictSame(await stores.aliases.list('def.test'), [{ alias: '*@def.test', target: '*@abc.test', rewrite: true }]);
  await stores.close();

  const [oneDomain, dup, noDomain, badStar, badSuffix] = await Promise.all([
    cli('alias', 'list', 'def.test'),
    cli('alias', 'add', '*@abc.test', 'other@abc.test'),
    cli('alias', 'add', 'x@nowhere.test', 'y@abc.test'),
    cli('alias', 'add', 'a*b@abc.test', 'y@abc.test'),
    cli('alias', 'add', 'x@abc.test', 'y@abc.test,2'),
  ]);
  t.equal(oneDomain.stdout.trimEnd().split('\n').length, 2, 'list DOMAIN shows only that domain');
  t.match(oneDomain.stdout, /\*@def\.test/);
  for (const [r, re] of [
    [dup, /alias \*@abc\.test already exists/],
    [noDomain, /no domain nowhere\.test/],
    [badStar, /"\*" is only allowed as the whole account part/],
    [badSuffix, /must be 1 \(rewrite the recipient\) or 0/],
  ] as const) {
    t.equal(r.code, 1, re.source);
    t.match(r.stderr, re);
    t.match(r.stderr, /^mailserver: /);
    t.notOk(hasStackTrace(r.stderr));
  }

  const [del, delMissing] = await Promise.all([cli('alias', 'delete', '*@def.test'), cli('alias', 'delete', 'ghost@abc.test')]);
  t.equal(del.stdout, 'deleted alias *@def.test\n');
  t.equal(delMissing.code, 1);
  t.match(delMissing.stderr, /no alias ghost@abc\.test/);
  const after = await cli('alias', 'list', 'def.test');
  t.equal(after.stdout, 'no aliases in def.test\n');
});
