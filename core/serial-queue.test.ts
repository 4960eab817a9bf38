import t from 'tap';
import { KeyedSerialQueue, SerialQueue } from './serial-queue.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

t.test('tasks run one at a time, in order, and a failure stays with its caller', async (t) => {
  const q = new SerialQueue();
  const log: string[] = [];
  let running = 0;
  let most = 0;
  const task = (name: string, fail = false) => async () => {
    running++;
    most = Math.max(most, running);
    log.push(`start ${name}`);
    await tick();
    log.push(`end ${name}`);
    running--;
    if (fail) throw new Error(name);
    return name;
  };
  const a = q.run(task('a'));
  const b = q.run(task('b', true));
  const c = q.run(task('c'));
  t.equal(q.size, 3);
  t.equal(await a, 'a');
  await t.rejects(b, /b/);
  t.equal(await c, 'c', 'the task after a failed one still runs');
  t.same(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  t.equal(most, 1, 'never two at once');
  await tick();
  t.equal(q.size, 0);
});

t.test('a keyed queue serializes per key, runs keys side by side, and forgets idle keys', async (t) => {
  const q = new KeyedSerialQueue();
  const log: string[] = [];
  const task = (name: string) => async () => {
    log.push(`start ${name}`);
    await tick();
    log.push(`end ${name}`);
  };
  const all = [q.run('x', task('x1')), q.run('y', task('y1')), q.run('x', task('x2'))];
  t.equal(q.keys, 2);
  await Promise.all(all);
  t.ok(log.indexOf('end x1') < log.indexOf('start x2'), 'x2 waits for x1');
  t.ok(log.indexOf('start y1') < log.indexOf('end x1'), 'y1 does not wait for x');
  await tick();
  t.equal(q.keys, 0, 'no key is kept once its tasks are done');
});
