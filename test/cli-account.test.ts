/** `mailserver account add|change|delete|list`, run as the real command against a temp data dir. */
import t from 'tap';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import { hasStackTrace, runCli, tempDir } from './helpers/cli.ts';

const data = tempDir(t);
const cli = (args: string[], input?: string) => runCli([...args, '--data', data], { input });

async function account(address: string) {
  const stores = openEmbeddedStore(data);
  try {
    return await stores.accounts.get(address);
  } finally {
    await stores.close();
  }
}

async function verify(address: string, password: string): Promise<boolean> {
  const stores = openEmbeddedStore(data);
  try {
    return (await stores.accounts.verifyPassword(address, password)) !== null;
  } finally {
    await stores.close();
  }
}

t.before(async () => {
  const r = await cli(['domain', 'add', 'example.test']);
  if (r.code !== 0) throw new Error(r.stderr);
});

t.test('account add with every flag, password from stdin, list', async (t) => {
  const [alice, bob, carol] = await Promise.all([
    cli(['account', 'add', 'Alice@Example.test', '--password', 'alice-pw', '--name', '山田 花子', '--quota', '10M', '--auth-apop']),
    cli(['account', 'add', 'bob@example.test', '--password', '-', '--no-pop3', '--no-imap'], 'bob secret\n'),
    cli(['account', 'add', 'carol@example.test', '--password', 'c', '--quota', '1536']),
  ]);
  t.equal(alice.stdout, 'added account alice@example.test\n', alice.stderr);
  t.equal(bob.stdout, 'added account bob@example.test\n', bob.stderr);
  t.equal(carol.stdout, 'added account carol@example.test\n', carol.stderr);
  t.notMatch(alice.stdout + alice.stderr + bob.stdout + bob.stderr, /alice-pw|bob secret/, 'passwords are never printed');

  const a = (await account('alice@example.test'))!;
  t.match(a, { name: 'alice', domain: 'example.test', fullName: '山田 花子', quota: 10 * 1024 * 1024, smtpAuth: true, apop: true, pop3Disabled: false, imapDisabled: false });
  t.match(a.passwordHash, /^\$scrypt\$/);
  const b = (await account('bob@example.test'))!;
  t.match(b, { fullName: '', quota: 0, smtpAuth: false, apop: false, pop3Disabled: true, imapDisabled: true });
  t.ok(await verify('bob@example.test', 'bob secret'), 'the first line of stdin is the password, without its newline');

  const list = await cli(['account', 'list']);
  t.equal(list.code, 0);
  t.strictSame(list.stdout.trimEnd().split('\n').map((l) => l.split(/\s{2,}/)), [
    ['ADDRESS', 'FULL NAME', 'QUOTA', 'FLAGS'],
    ['alice@example.test', '山田 花子', '10M', 'smtp-auth,apop'],
    ['bob@example.test', '-', 'unlimited', 'pop3-off,imap-off'],
    ['carol@example.test', '-', '1536', '-'],
  ]);
  t.notMatch(list.stdout, /\$scrypt\$/, 'list shows no hashes');
  const one = await cli(['account', 'list', 'example.test']);
  t.equal(one.stdout, list.stdout);
});

t.test('account change: each flag, both ways', async (t) => {
  const r1 = await cli(['account', 'change', 'bob@example.test', '--pop3', '--imap', '--auth-apop', '--quota', '2G', '--name', 'Bob B.', '--password', 'new-bob']);
  t.equal(r1.code, 0, r1.stderr);
  t.equal(r1.stdout, 'changed account bob@example.test: password, full name, quota, auth-apop on, pop3 on, imap on\n');
  t.match(await account('bob@example.test'), { fullName: 'Bob B.', quota: 2 * 1024 ** 3, smtpAuth: true, apop: true, pop3Disabled: false, imapDisabled: false });
  t.ok(await verify('bob@example.test', 'new-bob'));

  const [r2, r3] = await Promise.all([
    cli(['account', 'change', 'alice@example.test', '--no-auth-apop', '--no-pop3', '--no-imap', '--quota', '0', '--name', '']),
    cli(['account', 'change', 'carol@example.test', '--password', '-', '--auth-apop'], 'from-stdin\r\n'),
  ]);
  t.equal(r2.code, 0, r2.stderr);
  t.match(await account('alice@example.test'), { fullName: '', quota: 0, smtpAuth: false, apop: false, pop3Disabled: true, imapDisabled: true });
  t.ok(await verify('alice@example.test', 'alice-pw'), 'a change without --password keeps the password');
  t.equal(r3.code, 0, r3.stderr);
  t.notMatch(r3.stderr, /warning/, 'a password given with --auth-apop keeps the APOP secret');
  t.ok(await verify('carol@example.test', 'from-stdin'));

  const r4 = await cli(['account', 'change', 'alice@example.test', '--auth-apop']);
  const list = await cli(['account', 'list']);
  t.match(r4.stderr, /warning: .*APOP.*--password/, 'APOP turned on without a password warns that no secret is kept');
  t.match(list.stdout, /alice@example\.test\s+-\s+unlimited\s+smtp-auth,apop,pop3-off,imap-off\n/);
  t.match(list.stdout, /bob@example\.test\s+Bob B\.\s+2G\s+smtp-auth,apop\n/);
});

t.test('bad input: clear message, exit 1 (or 2 for command-line shape), never a stack trace', async (t) => {
  const cases: [string[], number, RegExp, string?][] = [
    [['account', 'add', 'dave@nowhere.test', '--password', 'x'], 1, /no domain nowhere\.test: add it first/],
    [['account', 'add', 'not-an-address', '--password', 'x'], 1, /"not-an-address" is not an address of the form user@domain/],
    [['account', 'add', 'x*y@example.test', '--password', 'x'], 1, /account name may use/],
    [['account', 'add', 'alice@example.test', '--password', 'x'], 1, /account alice@example\.test already exists/],
    [['account', 'add', 'dave@example.test', '--password', 'x', '--quota', '10 parsecs'], 1, /bad quota "10 parsecs".*K, M or G \(1024-based\)/],
    [['account', 'add', 'dave@example.test', '--password', '-'], 1, /no password on stdin/, ''],
    [['account', 'add', 'dave@example.test', '--name', 'a\tb', '--password', 'x'], 1, /full name may not contain a TAB/],
    [['account', 'add', 'dave@example.test'], 2, /needs --password/],
    [['account', 'change', 'ghost@example.test', '--quota', '1'], 1, /no account ghost@example\.test/],
    [['account', 'change', 'alice@example.test', '--pop3', '--no-pop3'], 1, /--pop3 and --no-pop3 contradict/],
    [['account', 'list', 'nowhere.test'], 1, /no domain nowhere\.test/],
  ];
  const results = await Promise.all(cases.map(([args, , , input]) => cli(args, input)));
  results.forEach((r, i) => {
    const [args, code, re] = cases[i];
    t.equal(r.code, code, `${args.join(' ')}: exit ${code}`);
    t.match(r.stderr, re, args.join(' '));
    t.match(r.stderr, /^mailserver: /);
    t.notOk(hasStackTrace(r.stderr), 'no stack trace');
    t.equal(r.stdout, '');
  });
  const stores = openEmbeddedStore(data);
  t.equal((await stores.accounts.list()).length, 3, 'nothing was added by the failed commands');
  await stores.close();
});

t.test('account delete', async (t) => {
  await cli(['alias', 'add', 'info@example.test', 'carol@example.test']);
  const r = await cli(['account', 'delete', 'Carol@example.test']);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'deleted account carol@example.test\n');
  t.match(r.stderr, /warning: aliases still point to carol@example\.test: info@example\.test/);
  t.equal(await account('carol@example.test'), null);
  const list = await cli(['account', 'list']);
  t.notMatch(list.stdout, /carol/);
  t.equal(list.stdout.trimEnd().split('\n').length, 3);
});
