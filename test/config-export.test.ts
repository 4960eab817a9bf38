/**
 * CF-1 export and restore, the test: domain, accounts, aliases and list
 * members made with the CLI while the appliance runs; `mailserver export`; stop; wipe the data
 * directory; `mailserver restore HEAD --from <a copy of the repository>`; start again: every
 * account logs in over POP3 and IMAP (real poplib/imaplib) with its password, every list has its
 * members. Then: restore of an older commit on a live data directory (replace semantics), and the
 * errors for bad input.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { runCli, hasStackTrace, listsConfig } from './helpers/cli.ts';
import { startTestAppliance, tempDir, type TestAppliance } from './helpers/appliance.ts';
import { python } from './helpers/python.ts';
import { ConfigRepository } from '../appliance/config-repo/repository.ts';

const ACCOUNTS = [['alice', 'alice-secret-1'], ['bob', 'bob-secret-2'], ['carol', 'carol-secret-3']] as const;
const LOGINS = `
import imaplib, poplib, ssl, sys
ctx = ssl._create_unverified_context()
pop3, imap = int(sys.argv[1]), int(sys.argv[2])
for pair in sys.argv[3:]:
    user, pw = pair.split(':', 1)
    p = poplib.POP3_SSL('127.0.0.1', pop3, context=ctx)
    p.user(user); p.pass_(pw)
    print('pop3 ok', user, p.stat()[0]); p.quit()
    m = imaplib.IMAP4_SSL('127.0.0.1', imap, ssl_context=ctx)
    m.login(user, pw)
    print('imap ok', user, m.select('INBOX')[0]); m.logout()
`;

async function cli(t: Test, args: string[]) {
  const r = await runCli(args);
  t.equal(r.code, 0, `mailserver ${args.join(' ')}: ${r.stderr}`);
  return r;
}

/** A config defining the lists team@example.test and news (the CLI refuses members for a list no config defines). */
function listConfig(t: Test): string {
  const dir = tempDir('mailserver-export-lists-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return listsConfig(dir, ['team@example.test', 'news']);
}

async function logins(app: TestAppliance, pairs: string[]) {
  return python(LOGINS, [String(app.pop3sPort), String(app.imapsPort), ...pairs], { timeoutMs: 40_000 });
}

t.test('export, wipe, restore --from a copy: every account logs in, every list has its members', async (t) => {
  const data = tempDir('mailserver-export-');
  const copy = tempDir('mailserver-export-copy-');
  t.teardown(() => { fs.rmSync(data, { recursive: true, force: true }); fs.rmSync(copy, { recursive: true, force: true }); });
  let app = await startTestAppliance({}, data);
  t.teardown(() => app.close());
  const d = ['--data', data];
  const l = [...d, '--config', listConfig(t)];
  await cli(t, ['domain', 'add', 'example.test', '--account-limit', '10', ...d]);
  for (const [name, pw] of ACCOUNTS) await cli(t, ['account', 'add', `${name}@example.test`, '--password', pw, '--name', `${name} 太郎`, ...d]);
  await cli(t, ['alias', 'add', 'info@example.test', 'alice@example.test,1', ...d]);
  await cli(t, ['list', 'add', 'team@example.test', 'alice@example.test', 'Alice', ...l]);
  await cli(t, ['list', 'add', 'team@example.test', 'outside@other.test', ...l]);
  await cli(t, ['list', 'add', 'news', 'bob@example.test', ...l]);
  await app.store.refusedIps!.add('203.0.113.9', 'mail filter rule "test"');

  // export while the appliance runs
  const first = await cli(t, ['export', '--message', 'first export', ...d]);
  t.match(first.stdout, /exported 1 domain\(s\), 3 account\(s\), 1 alias\(es\), 2 list\(s\), 1 refused IP\(s\): commit [0-9a-f]{40}/);
  const repo = await ConfigRepository.open(data);
  const accounts = (await repo.read('data/accounts.tsv'))!.toString();
  for (const [name, pw] of ACCOUNTS) {
    t.match(accounts, new RegExp(`^${name}@example\\.test\\t${name} 太郎\\t.*\\t\\$scrypt\\$`, 'm'), `${name}: a hash`);
    t.notMatch(accounts, pw, `${name}: never the plain password`);
  }
  t.equal((await repo.read('data/lists/team@example.test.txt'))!.toString(), '# members of team@example.test\nAlice <alice@example.test>\noutside@other.test\n');
  t.match((await repo.read('data/refused-ips.txt'))!.toString(), /^203\.0\.113\.9\t\d{4}-.*\tmail filter rule "test"$/m);
  t.match((await repo.read('data/aliases.tsv'))!.toString(), /^info@example\.test\talice@example\.test,1$/m);
  t.equal((await repo.log(1))[0].message.trim(), 'first export');
  // deterministic: a second export finds nothing to commit
  const again = await cli(t, ['export', ...d]);
  t.match(again.stdout, /nothing changed since the last export/);

  // a copy of the repository somewhere else (an operator's backup), then the data directory is wiped
  await app.close();
  execFileSync('git', ['clone', '--bare', '--quiet', path.join(data, 'config.git'), path.join(copy, 'backup.git')]);
  fs.rmSync(data, { recursive: true, force: true });
  fs.mkdirSync(data);

  const restored = await cli(t, ['restore', 'HEAD', '--from', path.join(copy, 'backup.git'), ...d]);
  t.match(restored.stdout, /restored [0-9a-f]{7} as commit [0-9a-f]{40}/);
  t.match(restored.stdout, /accounts: 3 created/);
  t.match(restored.stdout, /news \(1\), team@example\.test \(2\)/);
  const log = await (await ConfigRepository.open(data)).log(5);
  t.match(log[0].message, /^restore HEAD/);
  t.equal(log[1].message.trim(), 'first export', 'the history came with it');

  app = await startTestAppliance({}, data);
  const r = await logins(app, ACCOUNTS.map(([n, pw]) => `${n}@example.test:${pw}`));
  t.equal(r.code, 0, r.stderr);
  for (const [name] of ACCOUNTS) {
    t.match(r.stdout, `pop3 ok ${name}@example.test 0`);
    t.match(r.stdout, `imap ok ${name}@example.test OK`);
  }
  const team = await cli(t, ['list', 'members', 'team@example.test', ...l]);
  t.equal(team.stdout, 'Alice <alice@example.test>\noutside@other.test\n');
  const news = await cli(t, ['list', 'members', 'news', ...l]);
  t.equal(news.stdout, 'bob@example.test\n');
  t.ok(await app.store.refusedIps!.has('203.0.113.9'), 'the runtime refused IP is back');
  t.same((await app.store.aliases.list()).map((a) => [a.alias, a.target, a.rewrite]), [['info@example.test', 'alice@example.test', true]]);
  t.equal((await app.store.domains.get('example.test'))!.accountLimit, 10);
  t.equal((await app.store.accounts.get('bob@example.test'))!.fullName, 'bob 太郎');
});

t.test('restore of an older commit on a live data directory: replace semantics', async (t) => {
  const data = tempDir('mailserver-restore-');
  t.teardown(() => fs.rmSync(data, { recursive: true, force: true }));
  const app = await startTestAppliance({}, data);
  t.teardown(() => app.close());
  const d = ['--data', data];
  await cli(t, ['domain', 'add', 'example.test', ...d]);
  await cli(t, ['account', 'add', 'dave@example.test', '--password', 'old-password', ...d]);
  const l = [...d, '--config', listConfig(t)];
  await cli(t, ['list', 'add', 'team@example.test', 'dave@example.test', ...l]);
  await cli(t, ['export', ...d]);
  const repo = await ConfigRepository.open(data);
  const before = (await repo.head())!;

  // after the export: a new password, a new account, a member more, another export
  await cli(t, ['account', 'change', 'dave@example.test', '--password', 'new-password', ...d]);
  await cli(t, ['account', 'add', 'erin@example.test', '--password', 'erin-pw', ...d]);
  await cli(t, ['list', 'add', 'team@example.test', 'erin@example.test', ...l]);
  await cli(t, ['export', ...d]);
  const diff = execFileSync('git', ['--git-dir', path.join(data, 'config.git'), 'diff', '--stat', before, 'HEAD'], { encoding: 'utf8' });
  t.match(diff, /data\/accounts\.tsv/);
  t.match(diff, /data\/lists\/team@example\.test\.txt/);

  const r = await cli(t, ['restore', before.slice(0, 10), ...d]);
  t.match(r.stdout, /kept \(not in the snapshot; --prune deletes\): erin@example\.test/);
  const login = await logins(app, ['dave@example.test:old-password']);
  t.equal(login.code, 0, `the old password works again: ${login.stderr}`);
  const wrong = await logins(app, ['dave@example.test:new-password']);
  t.not(wrong.code, 0, 'the newer password no longer does');
  t.same((await app.store.lists!.members('team@example.test')).map((m) => m.address), ['dave@example.test']);
  t.ok(await app.store.accounts.get('erin@example.test'), 'an account made after the export is kept');
  t.same((await repo.files('HEAD'))['data/accounts.tsv'], (await repo.files(before))['data/accounts.tsv'], 'HEAD has the old tree');

  const pruned = await cli(t, ['restore', before.slice(0, 10), '--prune', ...d]);
  t.match(pruned.stdout, /deleted: erin@example\.test/);
  t.equal(await app.store.accounts.get('erin@example.test'), null);
});

t.test('bad input: clear errors, nothing changed', async (t) => {
  const data = tempDir('mailserver-restore-bad-');
  t.teardown(() => fs.rmSync(data, { recursive: true, force: true }));
  const none = await runCli(['restore', 'HEAD', '--data', data]);
  t.equal(none.code, 1);
  t.match(none.stderr, /no config repository in .*: pass --from REPO/);
  const noData = await runCli(['export', '--data', data]);
  t.equal(noData.code, 1);
  t.match(noData.stderr, /no data in/);
  await runCli(['domain', 'add', 'example.test', '--data', data]);
  await runCli(['export', '--data', data]);
  const rev = await runCli(['restore', 'deadbeef', '--data', data]);
  t.equal(rev.code, 1);
  t.match(rev.stderr, /restore deadbeef: unknown revision "deadbeef"/);
  const from = await runCli(['restore', 'HEAD', '--from', path.join(data, 'no-such-repo'), '--data', path.join(data, 'fresh')]);
  t.equal(from.code, 1);
  t.match(from.stderr, /git clone failed/);
  // a snapshot file broken by hand in the repository
  const repo = await ConfigRepository.open(data);
  await repo.commit({ 'data/domains.tsv': 'example.test\tten\tadmin@example.test\t0\n' }, 'broken by hand', { name: 't', email: 't@t' });
  const broken = await runCli(['restore', 'HEAD', '--data', data]);
  t.equal(broken.code, 1);
  t.match(broken.stderr, /data\/domains\.tsv line 1: expected a whole number, found "ten"/);
  for (const r of [none, noData, rev, from, broken]) t.notOk(hasStackTrace(r.stderr));
});
