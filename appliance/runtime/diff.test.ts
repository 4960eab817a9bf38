import t from 'tap';
import { validateConfig } from '../../core/config/load.ts';
import { deepEqual, diffConfig, show } from './diff.ts';

const base = validateConfig({
  hostname: 'mail.test',
  smtp: { listen: ['127.0.0.1:25', '127.0.0.1:465*'] },
  plugins: [{ name: 'accept-log' }, { name: 'relay-effect', options: { rules: [] } }],
});
const change = (patch: (c: ReturnType<typeof validateConfig>) => void) => {
  const c = structuredClone(base);
  patch(c);
  return c;
};

t.test('no change: an empty summary, nothing needs a restart', async (t) => {
  t.same(diffConfig(base, structuredClone(base)), { summary: [], needsRestart: [] });
});

t.test('listeners added and removed, per service', async (t) => {
  const d = diffConfig(base, change((c) => {
    c.smtp.listen = ['127.0.0.1:25', '127.0.0.1:587'];
    c.imap.listen = [...c.imap.listen, '[::1]:143'];
  }));
  t.same(d.summary, ['smtp listener 127.0.0.1:587 added', 'smtp listener 127.0.0.1:465* removed', 'imap listener [::1]:143 added']);
});

t.test('a listener listed twice counts twice', async (t) => {
  const d = diffConfig(base, change((c) => void c.smtp.listen.push('127.0.0.1:25')));
  t.same(d.summary, ['smtp listener 127.0.0.1:25 added']);
});

t.test('plugins added, removed, options changed, reordered', async (t) => {
  t.same(diffConfig(base, change((c) => void c.plugins.push({ name: 'dnsbl' }))).summary, ['plugin dnsbl added']);
  t.same(diffConfig(base, change((c) => void c.plugins.shift())).summary, ['plugin accept-log removed']);
  t.same(diffConfig(base, change((c) => (c.plugins[1].options = { rules: [{ from: '*' }] }))).summary, ['plugin relay-effect options changed']);
  t.same(diffConfig(base, change((c) => c.plugins.reverse())).summary, ['plugin order changed: relay-effect, accept-log']);
  t.same(diffConfig(base, change((c) => (c.haraka.plugins = ['rcpt_to.in_host_list']))).summary, ['haraka plugin rcpt_to.in_host_list added']);
});

t.test('other settings: one line per changed path with both values', async (t) => {
  const d = diffConfig(base, change((c) => {
    c.smtp.maxRecipients = 2;
    c.smtp.banner = 'hello';
    c.delivery.retry = { ...c.delivery.retry };
    c.pop3.hiddenIps = ['10.0.0.1'];
  }));
  t.same(d.summary, ['smtp.banner: "" -> "hello"', 'smtp.maxRecipients: 100 -> 2', 'pop3.hiddenIps: [] -> ["10.0.0.1"]']);
  t.same(d.needsRestart, []);
});

t.test('the store needs a restart', async (t) => {
  const d = diffConfig(base, change((c) => (c.store = { kind: 'postgres', url: 'postgres://u@h/db' })));
  t.same(d.needsRestart, ['store']);
  t.match(d.summary, [/^store\.kind: "embedded" -> "postgres"/]);
});

t.test('values: functions by source, long values shortened', async (t) => {
  t.ok(deepEqual({ f: () => 1 }, { f: () => 1 }));
  t.notOk(deepEqual({ f: () => 1 }, { f: () => 2 }));
  t.ok(deepEqual({ a: 1, b: undefined }, { a: 1 }));
  t.notOk(deepEqual([1], { 0: 1 }));
  t.equal(show('x'.repeat(100)).length, 60);
  t.equal(show(undefined), '(unset)');
});

t.test('node.workers changes live (the supervisor follows); the rest of node needs a restart', async (t) => {
  const workers = diffConfig(base, change((c) => (c.node.workers = 3)));
  t.same(workers.needsRestart, []);
  t.same(workers.summary, ['node.workers: "auto" -> 3']);
  t.same(diffConfig(base, change((c) => ((c.node.workers = 3), (c.node.name = 'other')))).needsRestart, ['node']);
});
