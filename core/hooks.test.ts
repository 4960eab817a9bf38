import t from 'tap';
import { HookRunner } from './hooks.ts';
import { silentLogger } from './log.ts';
import type { Connection } from './session.ts';

const conn = { id: 'c1', protocol: 'smtp', state: {}, notes: {}, log: silentLogger } as unknown as Connection;

t.test('runs in priority order, then registration order; first non-next verdict wins', async (t) => {
  const hooks = new HookRunner({ timeoutMs: 1000, log: silentLogger });
  const seen: string[] = [];
  hooks.register('connect', 'b', () => void seen.push('b'), 10);
  hooks.register('connect', 'a', () => void seen.push('a'), 0);
  hooks.register('connect', 'c', () => {
    seen.push('c');
    return { kind: 'reject', permanent: true, message: 'no' };
  }, 10);
  hooks.register('connect', 'd', () => void seen.push('d'), 20);
  const v = await hooks.run('connect', { conn });
  t.same(seen, ['a', 'b', 'c']);
  t.same(v, { kind: 'reject', permanent: true, message: 'no' });
});

t.test('a throwing hook is a temporary failure naming the plugin', async (t) => {
  const hooks = new HookRunner({ timeoutMs: 1000, log: silentLogger });
  hooks.register('connect', 'broken', () => {
    throw new Error('boom');
  });
  const v = await hooks.run('connect', { conn });
  t.match(v, { kind: 'reject', permanent: false, code: 451, message: /broken/ });
});

t.test('a hook that exceeds the timeout is a temporary failure', async (t) => {
  const hooks = new HookRunner({ timeoutMs: 50, log: silentLogger });
  hooks.register('connect', 'slow', () => new Promise(() => undefined));
  const start = Date.now();
  const v = await hooks.run('connect', { conn });
  t.match(v, { kind: 'reject', permanent: false, message: /slow timed out/ });
  t.ok(Date.now() - start < 1000);
});

t.test('unknown hooks cannot be registered', async (t) => {
  const hooks = new HookRunner({ timeoutMs: 50, log: silentLogger });
  t.throws(() => hooks.register('bogus' as never, 'x', () => undefined), /unknown hook "bogus"/);
});

t.test('transaction.notes.skip_plugins skips a plugin', async (t) => {
  const hooks = new HookRunner({ timeoutMs: 50, log: silentLogger });
  hooks.register('data', 'skipme', () => ({ kind: 'reject', permanent: true, message: 'x' }));
  const tx = { notes: { skip_plugins: ['skipme'] } } as never;
  t.same(await hooks.run('data', { conn, tx }), { kind: 'next' });
});

t.test('accept ends the chain', async (t) => {
  const hooks = new HookRunner({ timeoutMs: 50, log: silentLogger });
  hooks.register('connect', 'a', () => ({ kind: 'accept' }));
  hooks.register('connect', 'b', () => ({ kind: 'reject', permanent: true, message: 'never' }));
  t.same(await hooks.run('connect', { conn }), { kind: 'accept' });
});
