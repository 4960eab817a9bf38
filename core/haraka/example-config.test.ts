/**
 * The example Haraka config directory of the repository (haraka/config) loads and works.
 */
import path from 'node:path';
import t from 'tap';
import { harakaPluginList, registerHarakaPlugins } from './index.ts';
import { REPO_ROOT } from './modules.ts';
import { makeConn, makeHooks, makeTx, message } from './test-support.ts';
import { silentLogger } from '../log.ts';

const configDir = path.join(REPO_ROOT, 'haraka', 'config');

t.test('config/plugins lists the plugins; both load and answer', async (t) => {
  const names = harakaPluginList(configDir);
  t.same(names, ['access', 'headers']);
  const hooks = makeHooks();
  const loaded = await registerHarakaPlugins(hooks, names, { configDir, log: silentLogger });
  t.same(loaded.map((p) => p.name), ['access', 'headers']);

  const conn = makeConn();
  const spam = makeTx(conn, 'x@spammer.example.com');
  t.match(await hooks.run('mail', { conn, tx: spam, from: spam.mailFrom }), { kind: 'reject', code: 550 });
  const tx = makeTx(conn, 'a@good.example', ['b@good.example'], message(['From: a@good.example', 'Subject: no date']));
  t.same(await hooks.run('data_post', { conn, tx }), { kind: 'reject', permanent: true, code: 550, message: "Required header 'Date' missing" });
});
