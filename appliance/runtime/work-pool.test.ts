import t from 'tap';
import { threadId } from 'node:worker_threads';
import { silentLogger } from '../../core/log.ts';
import { WorkBusyError, WorkTimeoutError, inlineWork, type WorkTask } from '../../core/work.ts';
import { WorkPool, workPoolSettings } from './work-pool.ts';

const MODULE = new URL('../../test/fixtures/work-tasks.ts', import.meta.url).href;
const task = (name: string): WorkTask => ({ module: MODULE, name });

t.test('a TypeScript task runs on a thread of its own and returns its result', async (t) => {
  const pool = new WorkPool({ threads: 1, maxQueue: 4, timeoutMs: 20_000 }, silentLogger);
  t.teardown(() => pool.close());
  const r = await pool.run<{ n: number; threadId: number }>(task('double'), { n: 21 });
  t.equal(r.n, 42);
  t.not(r.threadId, threadId, 'not on the calling thread');
});

t.test('bytes are moved with a transfer list', async (t) => {
  const pool = new WorkPool({ threads: 1, maxQueue: 4, timeoutMs: 20_000 }, silentLogger);
  t.teardown(() => pool.close());
  const data = new Uint8Array(1 << 20).fill(7);
  const r = await pool.run<{ length: number; first: number }>(task('bytes'), { data }, { transfer: [data.buffer] });
  t.same(r, { length: 1 << 20, first: 7, isView: true });
  t.equal(data.byteLength, 0, 'the caller no longer holds the transferred buffer');
});

t.test('a task that throws rejects with its error; the pool goes on', async (t) => {
  const pool = new WorkPool({ threads: 1, maxQueue: 4, timeoutMs: 20_000 }, silentLogger);
  t.teardown(() => pool.close());
  await t.rejects(pool.run(task('fails'), {}), /task failed on purpose/);
  t.equal((await pool.run<{ n: number }>(task('double'), { n: 2 })).n, 4);
});

t.test('a full queue refuses the next task at once with WorkBusyError', async (t) => {
  const pool = new WorkPool({ threads: 1, maxQueue: 1, timeoutMs: 20_000 }, silentLogger);
  t.teardown(() => pool.close());
  await pool.run(task('double'), { n: 1 }); // the thread is up
  const running = pool.run(task('spin'), { ms: 600 });
  const waiting = pool.run(task('double'), { n: 3 });
  const started = Date.now();
  await t.rejects(pool.run(task('double'), { n: 5 }), WorkBusyError);
  t.ok(Date.now() - started < 200, 'refused without waiting');
  t.equal(pool.pending, 2);
  await running;
  t.equal((await waiting as { n: number }).n, 6, 'the waiting task ran');
  t.equal((await pool.run<{ n: number }>(task('double'), { n: 4 })).n, 8, 'accepted again once there is room');
});

t.test('a task past the deadline is stopped with WorkTimeoutError and the next one runs', async (t) => {
  const pool = new WorkPool({ threads: 1, maxQueue: 4, timeoutMs: 1500 }, silentLogger);
  t.teardown(() => pool.close());
  await pool.run(task('double'), { n: 1 }); // thread start-up is not part of the measured run
  const started = Date.now();
  await t.rejects(pool.run(task('spin'), { ms: 60_000 }), WorkTimeoutError);
  const took = Date.now() - started;
  t.ok(took >= 1400 && took < 5000, `stopped after ${took} ms`);
  t.equal((await pool.run<{ n: number }>(task('double'), { n: 5 })).n, 10, 'a new thread takes the next task');
});

t.test('a caller that gives up (its signal) cancels its task', async (t) => {
  const pool = new WorkPool({ threads: 1, maxQueue: 4, timeoutMs: 20_000 }, silentLogger);
  t.teardown(() => pool.close());
  const abort = new AbortController();
  const p = pool.run(task('spin'), { ms: 60_000 }, { signal: abort.signal });
  setTimeout(() => abort.abort(new Error('hook timed out')), 200);
  const err = await p.catch((e: unknown) => e);
  t.match(String(err), /abort|hook timed out/i, 'rejected as aborted');
  t.notOk(err instanceof WorkTimeoutError, 'not as the pool deadline');
  t.equal((await pool.run<{ n: number }>(task('double'), { n: 6 })).n, 12);
});

t.test('a closed pool refuses tasks', async (t) => {
  const pool = new WorkPool({ threads: 1, maxQueue: 4, timeoutMs: 20_000 }, silentLogger);
  await pool.close();
  await t.rejects(pool.run(task('double'), { n: 1 }), /closed/);
});

t.test('node.threads auto is the cores over the worker processes, at least 1', async (t) => {
  const base = { name: 'n', shareConfig: false, threadQueue: 64, threadTimeoutMs: 15_000 } as const;
  t.equal(workPoolSettings({ ...base, workers: 256, threads: 'auto' }).threads, 1);
  t.equal(workPoolSettings({ ...base, workers: 1, threads: 3 }).threads, 3);
  t.same(workPoolSettings({ ...base, workers: 1, threads: 2 }), { threads: 2, maxQueue: 64, timeoutMs: 15_000 });
});

t.test('inlineWork runs the same task in this thread, on a copy of its input', async (t) => {
  const r = await inlineWork.run<{ n: number; threadId: number }>(task('double'), { n: 4 });
  t.same(r, { n: 8, threadId });
});
