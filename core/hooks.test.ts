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

/** A logger that keeps what it is given, to see what goes to the log and not to the client. */
function recordingLogger() {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  const log = { ...silentLogger, error: (obj: Record<string, unknown>, msg: string) => void lines.push({ obj, msg }) };
  return { log: log as typeof silentLogger, lines };
}

t.test('a throwing hook is a temporary failure; the plugin is named in the log, not to the client', async (t) => {
  const { log, lines } = recordingLogger();
  const hooks = new HookRunner({ timeoutMs: 1000, log });
  hooks.register('connect', 'broken', () => {
    throw new Error('boom');
  });
  const v = await hooks.run('connect', { conn });
  t.match(v, { kind: 'reject', permanent: false, code: 451 });
  t.notMatch((v as { message: string }).message, /broken|boom/, 'the reply names neither the plugin nor its error');
  t.match(lines, [{ obj: { plugin: 'broken', hook: 'connect' }, msg: 'hook failed' }]);
});

t.test('a hook that exceeds the timeout is a temporary failure, and its signal is aborted', async (t) => {
  const { log, lines } = recordingLogger();
  const hooks = new HookRunner({ timeoutMs: 50, log });
  let seen: AbortSignal | undefined;
  let touchedAfterAbort = false;
  const tx = { notes: {}, state: {} } as never as { notes: Record<string, unknown> };
  hooks.register('data', 'slow', async (ctx, signal) => {
    seen = signal;
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
    if (!signal.aborted) ctx.tx.notes.late = true;
    touchedAfterAbort = 'late' in ctx.tx.notes;
  });
  const start = Date.now();
  const v = await hooks.run('data', { conn, tx: tx as never });
  t.match(v, { kind: 'reject', permanent: false, code: 451 });
  t.notMatch((v as { message: string }).message, /slow/, 'the reply does not name the plugin');
  t.ok(Date.now() - start < 1000);
  t.equal(seen?.aborted, true, 'the handler\'s signal is aborted at the timeout');
  t.match(String(seen?.reason), /timed out after 50 ms/);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(touchedAfterAbort, false, 'a handler that checks its signal leaves the transaction alone');
  t.match(lines, [{ obj: { plugin: 'slow', hook: 'data', timeoutMs: 50 }, msg: 'hook timed out' }]);
});

t.test('a handler that finishes in time gets a signal that is not aborted', async (t) => {
  const hooks = new HookRunner({ timeoutMs: 1000, log: silentLogger });
  let seen: AbortSignal | undefined;
  hooks.register('connect', 'quick', (_ctx, signal) => void (seen = signal));
  t.same(await hooks.run('connect', { conn }), { kind: 'next' });
  t.equal(seen?.aborted, false);
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
