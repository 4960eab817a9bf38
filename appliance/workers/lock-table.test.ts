import t from 'tap';
import { LockTable } from './lock-table.ts';

t.test('a lock belongs to one worker until it releases it or is gone', async (t) => {
  const locks = new LockTable();
  t.ok(locks.take('pop3:7', 1), 'worker 1 takes it');
  t.notOk(locks.take('pop3:7', 2), 'worker 2 is refused');
  t.ok(locks.take('pop3:8', 2), 'another key is free');
  locks.release('pop3:7', 2);
  t.notOk(locks.take('pop3:7', 2), 'a worker cannot release what another holds');
  t.equal(locks.releaseAll(1), 1, 'worker 1 gone: its one lock is freed');
  t.ok(locks.take('pop3:7', 2), 'and can be taken');
  locks.release('pop3:7', 2);
  t.ok(locks.take('pop3:7', 3), 'released');
});
