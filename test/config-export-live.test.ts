/**
 * CF-1 restore against an appliance started by `mailserver start` (it runs the repository's HEAD
 * and answers on its control socket): the running appliance checks and applies REV's config first
 * (as a rollback), then the data snapshot is loaded; a REV whose config the appliance refuses
 * restores nothing. Accounts log in over POP3 (real poplib) with the restored password.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { freePorts, seedStore, spawnAppliance, REPO_ROOT } from './helpers/process.ts';
import { tempDir } from './helpers/appliance.ts';
import { runCli } from './helpers/cli.ts';
import { python } from './helpers/python.ts';
import { ConfigRepository } from '../appliance/config-repo/repository.ts';

const LOGIN = `
import poplib, sys
p = poplib.POP3('127.0.0.1', int(sys.argv[1]))
p.user(sys.argv[2])
try:
    p.pass_(sys.argv[3]); print('ok')
except poplib.error_proto as e:
    print('refused', e)
`;

t.test('restore while the appliance runs: applied through it, or refused with nothing restored', async (t) => {
  const dir = tempDir('config-export-live-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const [smtp, pop3, http] = await freePorts(3);
  const configFile = path.join(dir, 'mailserver.config.ts');
  fs.writeFileSync(configFile, `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'live.test',
  smtp: { listen: ['127.0.0.1:${smtp}'] },
  pop3: { listen: ['127.0.0.1:${pop3}'], allowInsecureAuth: true },
  imap: { listen: ['127.0.0.1:0'] },
  http: { listen: ['127.0.0.1:${http}'] },
  delivery: { enabled: false },
  log: { level: 'info' },
});
`);
  await seedStore(dataDir, ['live.test'], { 'a@live.test': 'first-pw' });
  const app = spawnAppliance(configFile, dataDir);
  t.teardown(() => app.stop());
  await app.waitForLog('ready');
  const login = async (pw: string) => (await python(LOGIN, [String(pop3), 'a@live.test', pw])).stdout.trim();
  t.equal(await login('first-pw'), 'ok');

  const exported = await runCli(['export', '-m', 'good state', '--data', dataDir]);
  t.equal(exported.code, 0, exported.stderr);
  const repo = await ConfigRepository.open(dataDir);
  const good = (await repo.head())!;

  t.equal((await runCli(['account', 'change', 'a@live.test', '--password', 'second-pw', '--data', dataDir])).code, 0);
  t.equal(await login('second-pw'), 'ok');

  // a commit whose config the appliance refuses (a bad type), with a data snapshot
  const bad = await repo.commit({ 'mailserver.config.ts': "export default { smtp: { maxRecipients: 'many' } };\n" }, 'bad config', { name: 't', email: 't@t' });
  const refused = await runCli(['restore', bad, '--data', dataDir]);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /the running appliance refused the config of [0-9a-f]{7}; nothing restored/);
  t.match(refused.stdout, /maxRecipients/, 'the appliance says why');
  t.equal(await login('second-pw'), 'ok', 'the data were not touched');

  const restored = await runCli(['restore', good, '--data', dataDir]);
  t.equal(restored.code, 0, restored.stderr);
  t.match(restored.stdout, /rollback to [0-9a-f]{7}/, 'the running appliance applied the config');
  t.match(restored.stdout, /accounts: 0 created, 1 updated/);
  t.equal(await login('first-pw'), 'ok', 'the exported password hash is back');
  t.match(await login('second-pw'), /^refused/);
  const head = (await repo.log(1))[0];
  t.match(head.message, /^rollback to /);
  t.same((await repo.files('HEAD'))['mailserver.config.ts'], (await repo.files(good))['mailserver.config.ts']);
});
