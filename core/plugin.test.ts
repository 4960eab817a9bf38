import t from 'tap';
import { Type } from '@sinclair/typebox';
import { definePlugin, loadPlugins, type PluginDefinition } from './plugin.ts';
import { HookRunner } from './hooks.ts';
import { silentLogger } from './log.ts';
import { ConfigError } from './errors.ts';
import { validateConfig } from './config/load.ts';
import type { Connection } from './session.ts';

const greeter = definePlugin({
  name: 'greeter',
  options: Type.Object({ word: Type.String({ default: 'hi' }), times: Type.Integer({ minimum: 1, default: 1 }) }),
  setup(api) {
    api.hook('connect', ({ conn }) => {
      conn.notes.greeting = api.options.word.repeat(api.options.times);
    });
  },
});
const needsGreeter = definePlugin({ name: 'after', dependencies: ['greeter'], options: Type.Object({}), setup() {} });
const registry: Record<string, PluginDefinition> = { greeter, after: needsGreeter } as never;
const resolve = async (name: string) => {
  if (!registry[name]) throw new Error('not found');
  return registry[name];
};
const ctx = () => ({ hooks: new HookRunner({ timeoutMs: 100, log: silentLogger }), config: validateConfig({}), stores: {} as never, log: silentLogger, dataDir: '/tmp', submit: async () => undefined });

t.test('options get defaults and validated values reach the plugin', async (t) => {
  const c = ctx();
  await loadPlugins([{ name: 'greeter', options: { times: 2 } }], resolve, c);
  const conn = { notes: {} } as Connection;
  await c.hooks.run('connect', { conn });
  t.equal(conn.notes.greeting, 'hihi');
});

t.test('every bad entry is reported with its path before anything is set up', async (t) => {
  const err = await loadPlugins([
    { name: 'after' },
    { name: 'greeter', options: { times: 0, word: 5 } },
    { name: 'nosuch' },
  ], resolve, ctx()).catch((e) => e);
  t.ok(err instanceof ConfigError);
  const text = (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`).join('\n');
  t.match(text, /plugins\[0\]: plugin "after" needs plugin "greeter" listed before it/);
  t.match(text, /plugins\[1\]\.options\.times: /);
  t.match(text, /plugins\[1\]\.options\.word: /);
  t.match(text, /plugins\[2\]\.name: unknown plugin "nosuch"/);
});

t.test('a plugin gets the store ports it declares and the settings, not the whole config', async (t) => {
  let seen: { ports: string[]; settings: unknown; config: unknown } | undefined;
  const lister = definePlugin({
    name: 'lister',
    uses: ['domains'],
    options: Type.Object({}),
    setup(api) {
      seen = { ports: Object.keys(api.stores), settings: api.settings, config: (api as unknown as { config?: unknown }).config };
    },
  });
  const stores = { domains: { list: async () => [] }, accounts: {}, mail: {}, queue: {} } as never;
  const c = { ...ctx(), stores, config: validateConfig({ hostname: 'mx.example.test', node: { name: 'n1' } }) };
  await loadPlugins([{ name: 'lister' }], async () => lister as never, c);
  t.same(seen?.ports, ['domains'], 'only the declared port is there at run time');
  t.match(seen?.settings, { hostname: 'mx.example.test', nodeName: 'n1' });
  t.equal(seen?.config, undefined, 'no AppConfig on the plugin API');
});
