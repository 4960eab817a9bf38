/**
 * `mailserver import epost DIR` on test/fixtures/epost (the seed manual's own
 * examples, see its README). One commit with a generated, typed mailserver.config.ts that loads
 * and validates, the original files, and the runtime data; what is not translated is listed.
 * Then the appliance runs that config: accounts log in over POP3 (real poplib), mail.dat's rule
 * tags a message over real SMTP, the alias and the list members are there.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runCli, hasStackTrace } from './helpers/cli.ts';
import { startTestAppliance, inbox, tempDir } from './helpers/appliance.ts';
import { smtpSteps } from './helpers/smtp-script.ts';
import { python } from './helpers/python.ts';
import { loadConfig } from '../core/config/load.ts';
import { ConfigRepository } from '../appliance/config-repo/repository.ts';
import { checkoutFiles } from '../appliance/config-repo/checkout.ts';
import { findEpostFiles } from '../appliance/import/epost/files.ts';
import { translateEpost } from '../appliance/import/epost/translate.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/epost', import.meta.url));

t.test('the fixture: every file found; header.dat, its README.md and ipwatch.dat not translated', async (t) => {
  const found = findEpostFiles(FIXTURE);
  t.same(found.accounts, ['accounts.tsv']);
  t.same(found.mailboxes.map((m) => m.dir), ['mailbox/abc-info', 'mailbox/suzuki']);
  t.same(found.lists, [{ key: 'test-ml', file: 'lists/test-ml.txt' }]);
  const tr = translateEpost(found);
  t.same(tr.untranslated.map((u) => u.split(':')[0]), ['header.dat', 'README.md', 'ipwatch.dat']);
  t.same(tr.domains, ['abc.co.jp', 'def.co.jp']);
  t.same(tr.aliases.map((a) => [a.rule.alias, a.rule.target, a.rule.rewrite, a.source.lines]), [
    ['info@abc.co.jp', 'abc-info@abc.co.jp', null, '2'], ['*@abc.co.jp', 'abc-postmaster@abc.co.jp', null, '3'], ['info@def.co.jp', 'def-info@def.co.jp', true, '4'],
  ]);
  t.same(tr.lists[0].members.map((m) => [m.name, m.address]), [['オーナー', 'listowner@abc.co.jp'], ['ゲスト１', 'User1@def.or.jp'], ['', 'User2@ghi.com'], ['', 'User3@jkl.co.jp']],
    'the Shift_JIS member file');
  t.equal(tr.autoreply.find((a) => a.address === 'suzuki@abc.co.jp')?.settings.keep, false, 'IMS.CTL [Delivery] Discard=Yes');
  t.notOk(Object.keys(tr.copies).some((p) => p.endsWith('.tsv')), 'the account file (plain passwords) is not copied into the repository');
});

t.test('import epost: one commit, a config that loads, and an appliance that runs it', async (t) => {
  const data = tempDir('mailserver-import-');
  const checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-import-co-'));
  t.teardown(() => { fs.rmSync(data, { recursive: true, force: true }); fs.rmSync(checkout, { recursive: true, force: true }); });
  const r = await runCli(['import', 'epost', FIXTURE, '--data', data]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /accounts: 4 added, 0 updated; domains: abc\.co\.jp, def\.co\.jp/);
  t.match(r.stdout, /not translated \(3\):\n  - header\.dat: .*\n  - README\.md: .*\n  - ipwatch\.dat: /);

  const repo = await ConfigRepository.open(data);
  const log = await repo.log(10);
  t.equal(log.length, 1, 'ONE commit');
  t.match(log[0].message, /^import epost .*fixtures\/epost\n/);
  t.match(log[0].message, /Not translated:\n- header\.dat: [^\n]+\n- README\.md: [^\n]+\n- ipwatch\.dat: /);
  const files = await repo.files('HEAD');
  for (const p of ['mailserver.config.ts', 'epost/effect.dat', 'epost/mail.dat', 'epost/gateway.dat', 'epost/header.dat', 'epost/mailbox/suzuki/IMS.CTL',
    'data/accounts.tsv', 'data/domains.tsv', 'data/aliases.tsv', 'data/lists/test-ml.txt']) t.ok(files[p], `${p} is in the commit`);
  t.same(files['epost/mail.dat'], fs.readFileSync(path.join(FIXTURE, 'mail.dat')), 'originals are copied byte for byte');
  t.match(files['data/accounts.tsv'].toString(), /^suzuki@abc\.co\.jp\tSuzuki Ichiro\tsuzuki\t52428800\t1\t0\t0\t0\t\t0\t\$scrypt\$/m);
  t.notMatch(files['data/accounts.tsv'].toString(), /pw-suzuki/);

  const source = files['mailserver.config.ts'].toString();
  t.match(source, /\/\/ hiddensmtpip\.dat line 1: RX-9/);
  t.match(source, /\/\/ effect\.dat: RL-1 … RL-6 relay rules \(3 rule\(s\)\), read by relay-effect in the original's format/);
  t.match(source, /\/\/ mail\.dat: MF-1, MF-2 mail filter \(3 rule\(s\)\)/);
  t.match(source, /\/\/ mailbox\/suzuki\/IMS\.CTL/);
  t.match(source, /\/\/ gateway\.dat: TX-4/);
  t.match(source, /import \{ defineConfig \} from 'mailserver';/);

  // the generated config loads and validates where it is checked out
  checkoutFiles(files, checkout);
  const { config } = await loadConfig(path.join(checkout, 'mailserver.config.ts'));
  t.same(config.smtp.hiddenIps, ['192.168.0.101']);
  t.same(config.pop3.hiddenIps, ['192.168.0.101']);
  t.same(config.imap.hiddenIps, ['192.168.0.101']);
  t.equal(config.delivery.gatewayTableFile, './epost/gateway.dat');
  t.same(config.plugins.map((p) => p.name), ['relay-effect', 'mailfilter', 'autoreply', 'mailing-list']);
  const effectFile = (config.plugins[0].options as { file: string }).file;
  t.equal(effectFile, path.join(fs.realpathSync(checkout), 'epost', 'effect.dat'), 'file: resolves next to the config, not the working directory');

  // the appliance runs the imported config on the imported data
  const app = await startTestAppliance({ ...config, delivery: { enabled: false } }, data);
  t.teardown(() => app.close());
  const login = await python(`
import poplib, ssl, sys
p = poplib.POP3_SSL('127.0.0.1', int(sys.argv[1]), context=ssl._create_unverified_context())
p.user('suzuki@abc.co.jp'); p.pass_('pw-suzuki'); print('ok', p.stat()[0]); p.quit()
`, [String(app.pop3sPort)]);
  t.equal(login.code, 0, login.stderr);
  t.match(login.stdout, /^ok 0/, 'an account of accounts.tsv logs in with its password');

  const msg = 'From: x@client.test\r\nTo: info@abc.co.jp\r\nSubject: test\r\n\r\nhello\r\n';
  const sent = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<x@client.test>'], ['cmd', 'RCPT TO:<info@abc.co.jp>'], ['data', msg]]);
  t.match(sent[sent.length - 1], [250]);
  const box = await inbox(app, 'abc-info@abc.co.jp');
  t.equal(box.length, 1, 'alias.txt: info@abc.co.jp reaches abc-info');
  t.match(box[0].content, /^X-SPAM: ?TRUE\r\n/m, 'mail.dat\'s Level 400 rule added its header');
  t.equal((await app.store.lists!.members('test-ml')).length, 4, 'the list has its members');
  t.ok((await app.store.accounts.get('def-info@def.co.jp'))!.apop, 'the APOP flag of the account file');
});

t.test('bad input: a broken account file stops the import before anything is written', async (t) => {
  const data = tempDir('mailserver-import-bad-');
  const dir = tempDir('mailserver-import-src-');
  t.teardown(() => { fs.rmSync(data, { recursive: true, force: true }); fs.rmSync(dir, { recursive: true, force: true }); });
  fs.writeFileSync(path.join(dir, 'accounts.tsv'), 'ok\tpw\tName\texample.test\tok\t0\t0\t0\nbad\tpw\tName\texample.test\n');
  fs.writeFileSync(path.join(dir, 'effect.dat'), '10.0.0.1\tfalse\n');
  const r = await runCli(['import', 'epost', dir, '--data', data]);
  t.equal(r.code, 1);
  t.match(r.stderr, /line 2/);
  t.notOk(hasStackTrace(r.stderr));
  t.notOk(fs.existsSync(path.join(data, 'config.git')), 'no commit');

  // without the account file: effect.dat's error is listed, the import goes on
  fs.rmSync(path.join(dir, 'accounts.tsv'));
  const r2 = await runCli(['import', 'epost', dir, '--data', data]);
  t.equal(r2.code, 0, r2.stderr);
  t.match(r2.stdout, /- effect\.dat: not used, line 1: TAB is not a separator/);
  const missing = await runCli(['import', 'epost', path.join(dir, 'nope'), '--data', data]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /nope: not a folder/);
});
