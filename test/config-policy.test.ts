/**
 * Policy tests (mailserver.tests.ts) run in-process against a config's real plugins: relay
 * decisions by client IP and envelope, a mail filter tagging 未承諾広告 (unsolicited ads, MF-1),
 * and failures that name the case and what happened instead. Also the pre-receive hook on a push
 * by local path while no appliance runs (checked offline, refused with the reason).
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { validateConfig } from '../core/config/load.ts';
import { silentLogger } from '../core/log.ts';
import { runPolicyTests } from '../appliance/config-repo/policy-tests.ts';
import type { PolicyTests } from '../core/policy-tests.ts';
import { ConfigRepository } from '../appliance/config-repo/repository.ts';
import { installPreReceiveHook } from '../appliance/config-repo/hook-install.ts';
import { tempDir } from './helpers/appliance.ts';
import { git, gitOk } from './helpers/git.ts';
import { runCli } from './helpers/cli.ts';

const config = validateConfig({
  hostname: 'policy.test',
  plugins: [
    { name: 'relay-effect', options: { rules: [{ match: '198.51.100.0/24' }] } },
    {
      name: 'mailfilter',
      options: {
        rules: [
          { name: 'ads', headers: [{ header: 'Subject', token: '未承諾広告' }], level: { action: 3, keepCopy: false, banIp: false }, tag: '[AD]' },
          { name: 'virus words', body: ['EICAR'], level: { action: 1, keepCopy: false, banIp: false } },
        ],
      },
    },
  ],
});

const tests: PolicyTests = {
  domains: ['policy.test'],
  accounts: ['a@policy.test'],
  cases: [
    { name: 'outsiders cannot relay', from: '203.0.113.9', mailFrom: 'a@policy.test', rcptTo: 'b@other.test', expect: 'refused' },
    { name: 'the office relays', from: '198.51.100.7', mailFrom: 'a@policy.test', rcptTo: 'b@other.test', expect: 'accepted' },
    { name: 'an account relays after AUTH', from: '203.0.113.9', auth: 'a@policy.test', mailFrom: 'a@policy.test', rcptTo: 'b@other.test', expect: 'accepted' },
    { name: 'unknown local user', rcptTo: 'nobody@policy.test', expect: { refused: 'no such user' } },
    { name: 'ads are tagged', rcptTo: 'a@policy.test', message: 'Subject: 未承諾広告 セール\nFrom: x@other.test\n\nbuy now\n', expect: { tagged: '[AD]' } },
    { name: 'refused by body', rcptTo: 'a@policy.test', message: 'Subject: hi\n\nEICAR test\n', expect: 'refused' },
  ],
};

t.test('every case passes against the config it was written for', async (t) => {
  const report = await runPolicyTests(tests, config, silentLogger);
  t.same(report.failures, []);
  t.equal(report.passed, tests.cases.length);
});

t.test('a broken case names itself and what happened instead', async (t) => {
  const report = await runPolicyTests({
    ...tests,
    cases: [
      { name: 'expects an open relay', from: '203.0.113.9', rcptTo: 'b@other.test', expect: 'accepted' },
      { name: 'expects no tag', rcptTo: 'a@policy.test', message: 'Subject: 未承諾広告\n\nx', expect: { tagged: '[NOPE]' } },
      { rcptTo: 'a@policy.test', message: 'Subject: hi\n\nhello', expect: 'refused' },
      { name: 'auth as a stranger', auth: 'x@nowhere.test', rcptTo: 'a@policy.test', expect: 'accepted' },
    ],
  }, config, silentLogger);
  t.equal(report.passed, 0);
  const by = Object.fromEntries(report.failures.map((f) => [f.name, f.problem]));
  t.match(by['expects an open relay'], /expected accepted, got refused at RCPT TO:<b@other\.test>: 554 5\.7\.1 Relay access denied/);
  t.match(by['expects no tag'], /expected the Subject tagged "\[NOPE\]", got accepted \(Subject: "\[AD\] 未承諾広告"\)/);
  t.match(Object.keys(by).find((k) => k.startsWith('cases[2]')), /^cases\[2\] \(from default, MAIL FROM <>, RCPT TO <a@policy\.test>\)$/);
  t.match(by['auth as a stranger'], /could not run: auth: x@nowhere\.test is not one of the test accounts/);
});

t.test('a plugin option error is a config error with its path', async (t) => {
  const bad = validateConfig({ plugins: [{ name: 'relay-effect', options: { rules: [{ match: 5 }] } }] });
  const err = (await runPolicyTests({ cases: [] }, bad, silentLogger).then(() => null, (e: unknown) => e)) as { problems?: { path: string }[] } | null;
  t.match(err?.problems?.[0]?.path, /^plugins\[0\]\.options\.rules\.0\.match/);
});

t.test('push by local path with no appliance running: checked offline by the hook', async (t) => {
  const dataDir = tempDir('config-offline-');
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const repo = await ConfigRepository.open(dataDir);
  await repo.commit({ 'mailserver.config.ts': "import { defineConfig } from 'mailserver';\nexport default defineConfig({});\n" }, 'initial config', { name: 'T', email: 't@x' });
  installPreReceiveHook(repo.gitdir);
  const work = path.join(dataDir, 'work');
  await gitOk(['clone', '-q', repo.gitdir, work]);
  const file = path.join(work, 'mailserver.config.ts');
  fs.writeFileSync(file, "import { defineConfig } from 'mailserver';\nexport default defineConfig({ smtp: { maxRecipients: -3 } });\n");
  await gitOk(['commit', '-qam', 'negative'], { cwd: work });
  const bad = await git(['push', 'origin', 'main'], { cwd: work });
  t.not(bad.code, 0);
  t.match(bad.stderr, /remote: error: mailserver\.config\.ts: smtp\.maxRecipients: .*-3/);
  await gitOk(['reset', '-q', '--hard', 'origin/main'], { cwd: work });
  fs.writeFileSync(file, "import { defineConfig } from 'mailserver';\nexport default defineConfig({ smtp: { maxRecipients: 3 } });\n");
  await gitOk(['commit', '-qam', 'three'], { cwd: work });
  const good = await git(['push', 'origin', 'main'], { cwd: work });
  t.equal(good.code, 0, good.stderr);
  t.match(good.stderr, /remote: the appliance is not running: checked, not applied; the next start runs this commit/);
  t.match((await repo.read('mailserver.config.ts'))?.toString(), /maxRecipients: 3/);
  const rolled = await runCli(['config', 'rollback', '--data', dataDir]);
  t.equal(rolled.code, 0, rolled.stderr);
  t.match(rolled.stdout, /committed [0-9a-f]+: rollback to [0-9a-f]+; no appliance runs on/);
  t.notMatch((await repo.read('mailserver.config.ts'))?.toString(), /maxRecipients/, 'HEAD has the first commit\'s config');
  t.equal((await repo.log()).length, 3);
});
