/**
 * The first start from the config repository (appliance/config-repo/bootstrap.ts): the operator's
 * file and the sibling files it imports or names are committed, an import of the appliance by
 * path becomes 'mailserver', HEAD is checked out and loads from the data directory; a repository
 * holding only runtime data gets the config on top; an invalid file is never committed.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../core/config/load.ts';
import { silentLogger } from '../core/log.ts';
import { prepareRepositoryConfig } from '../appliance/config-repo/bootstrap.ts';
import { ConfigRepository } from '../appliance/config-repo/repository.ts';
import { REPO_ROOT } from './helpers/process.ts';
import { tempDir } from './helpers/appliance.ts';

/** An operator's directory; package.json: loaded in this (tap) process, a .ts file outside a module package would be CommonJS */
function operatorDir(): string {
  const dir = tempDir('config-boot-');
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  fs.writeFileSync(path.join(dir, 'mailserver.config.ts'), `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
import { rules } from './policies.ts';
export default defineConfig({ hostname: 'boot.test', plugins: [{ name: 'relay-effect', options: { rules } }], haraka: { configDir: './haraka' } });
`);
  fs.writeFileSync(path.join(dir, 'policies.ts'), "export const rules = [{ match: '198.51.100.0/24' }];\n");
  fs.mkdirSync(path.join(dir, 'haraka'));
  fs.writeFileSync(path.join(dir, 'haraka', 'access.domains'), 'example.com\n');
  fs.writeFileSync(path.join(dir, 'unrelated.txt'), 'not committed');
  return dir;
}

t.test('first start commits the config and what it uses, then loads the checkout', async (t) => {
  const dir = operatorDir();
  const dataDir = path.join(dir, 'data');
  const start = await prepareRepositoryConfig({ dataDir, configFile: path.join(dir, 'mailserver.config.ts'), log: silentLogger });
  t.same(Object.keys(await start.repo.files()).sort(), ['haraka/access.domains', 'mailserver.config.ts', 'policies.ts']);
  t.match((await start.repo.read('mailserver.config.ts'))!.toString(), /from "mailserver"/);
  t.equal(start.configFile, path.join(dataDir, 'config', 'mailserver.config.ts'), 'loaded through the link to the running checkout');
  t.equal(fs.readlinkSync(path.join(dataDir, 'config')), path.join('checkouts', start.head));
  const { config } = await loadConfig(start.configFile);
  t.equal(config.hostname, 'boot.test');
  t.same((config.plugins[0]!.options as { rules: unknown }).rules, [{ match: '198.51.100.0/24' }], 'the sibling module loaded from the checkout');
  t.match((await start.repo.log())[0]!.message, /^initial config/);

  // a second start does not commit again
  const again = await prepareRepositoryConfig({ dataDir, configFile: path.join(dir, 'mailserver.config.ts'), log: silentLogger });
  t.equal(again.head, start.head);
  t.equal((await again.repo.log()).length, 1);
});

t.test('a repository with only runtime data gets the config on top', async (t) => {
  const dir = operatorDir();
  const dataDir = path.join(dir, 'data');
  const repo = await ConfigRepository.open(dataDir);
  await repo.commit({ 'data/refused-ips.tsv': '203.0.113.9\n' }, 'refused IPs', { name: 'x', email: 'x@y' });
  const start = await prepareRepositoryConfig({ dataDir, configFile: path.join(dir, 'mailserver.config.ts'), log: silentLogger });
  t.ok(await repo.read('mailserver.config.ts'));
  t.equal((await repo.read('data/refused-ips.tsv'))?.toString(), '203.0.113.9\n', 'runtime data kept');
  t.equal((await loadConfig(start.configFile)).config.hostname, 'boot.test');
});

t.test('an invalid config is never committed', async (t) => {
  const dir = tempDir('config-boot-');
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  fs.writeFileSync(path.join(dir, 'mailserver.config.ts'), 'export default { smtp: { maxRecipients: -1 } };\n');
  const dataDir = path.join(dir, 'data');
  await t.rejects(prepareRepositoryConfig({ dataDir, configFile: path.join(dir, 'mailserver.config.ts'), log: silentLogger }), /smtp\.maxRecipients/);
  t.equal(await (await ConfigRepository.open(dataDir)).head(), null);
});

t.test('no config file at all: the defaults are committed', async (t) => {
  const dir = tempDir('config-boot-');
  const cwd = process.cwd();
  process.chdir(dir);
  t.teardown(() => process.chdir(cwd));
  const saved = process.env.MAILSERVER_CONFIG;
  delete process.env.MAILSERVER_CONFIG;
  t.teardown(() => { if (saved !== undefined) process.env.MAILSERVER_CONFIG = saved; });
  const start = await prepareRepositoryConfig({ dataDir: path.join(dir, 'data'), log: silentLogger });
  t.match((await start.repo.log())[0]!.message, /initial config \(defaults\)/);
  t.equal((await loadConfig(start.configFile)).config.hostname, 'localhost');
});
