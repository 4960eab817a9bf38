import t from 'tap';
import { FreshRun } from './fresh-run.ts';

/** A task whose runs are ended by hand: ends[i](err?) ends run i. */
function manual() {
  const ends: ((err?: Error) => void)[] = [];
  const task = () => new Promise<void>((resolve, reject) => ends.push((err) => (err ? reject(err) : resolve())));
  return { ends, run: new FreshRun(task) };
}

t.test('callers during a run share the next, which starts after it', async (t) => {
  const { ends, run } = manual();
  const first = run.run();
  t.equal(ends.length, 1, 'the first call starts a run at once');
  const second = run.run();
  const third = run.run();
  t.equal(ends.length, 1, 'later callers do not start another while one is under way');
  let secondDone = false;
  void second.then(() => (secondDone = true));
  ends[0]();
  await first;
  await new Promise(setImmediate);
  t.equal(ends.length, 2, 'the next run starts once the first has ended');
  t.notOk(secondDone, 'a caller that came during run 1 waits for run 2');
  ends[1]();
  await Promise.all([second, third]);
  t.ok(secondDone);
  const fourth = run.run();
  t.equal(ends.length, 3, 'idle again: a call starts a run at once');
  ends[2]();
  await fourth;
});

t.test('a failed run fails its own callers; the next one still runs', async (t) => {
  const { ends, run } = manual();
  const first = run.run();
  const second = run.run();
  ends[0](new Error('EIO'));
  await t.rejects(first, /EIO/);
  await new Promise(setImmediate);
  t.equal(ends.length, 2, 'the next run starts after a failed one');
  ends[1]();
  await second;
});
