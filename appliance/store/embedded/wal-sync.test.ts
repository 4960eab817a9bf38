/**
 * A durable connection's group commit answers only after the WAL is fsync'd, and that fsync
 * runs off the event loop: fs.fdatasync is held back here, so the order can be seen — the writes
 * are committed (another connection reads them) yet unanswered until the fsync completes; a
 * commit made during an fsync waits for the next one; a failed fsync fails its batch.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from './sqlite-driver.ts';
import { GroupCommit } from './group-commit.ts';
import { closeWalSync } from './wal-sync.ts';

const held: { fd: number; done: (err: NodeJS.ErrnoException | null) => void }[] = [];
const real = fs.fdatasync;
(fs as { fdatasync: unknown }).fdatasync = (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => held.push({ fd, done: cb });
t.teardown(() => void ((fs as { fdatasync: unknown }).fdatasync = real));

const tick = () => new Promise((resolve) => setImmediate(resolve));
/** Turns the event loop until `what` holds (the WAL's fd is opened on the thread pool: on a busy machine that takes a while), at most 10 s. */
async function until(what: () => boolean) {
  const deadline = Date.now() + 10_000;
  while (!what() && Date.now() < deadline) await tick();
}

function setup(t: { teardown(fn: () => void): void }, synchronous: 'FULL' | 'NORMAL') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wal-sync-'));
  const file = path.join(dir, 'db.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE t (v INTEGER)');
  const reader = new Database(file, { readonly: true });
  t.teardown(() => {
    closeWalSync(db);
    db.close();
    reader.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const count = () => (reader.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
  return { db, commits: new GroupCommit(db), insert, count };
}

t.test('answered after the fsync, which runs while the event loop turns', async (t) => {
  held.length = 0;
  const { db, commits, insert, count } = setup(t, 'FULL');
  let answered = 0;
  const first = commits.run(() => insert.run(1)).then(() => answered++);
  await until(() => held.length === 1);
  t.equal(held.length, 1, 'one fsync asked for');
  t.match(fs.readlinkSync(`/proc/self/fd/${held[0]!.fd}`), /db\.sqlite-wal$/, 'of the WAL file');
  t.equal(count(), 1, 'the write is committed');
  t.equal(answered, 0, 'but not answered before its fsync');
  t.equal(db.pragma('synchronous', { simple: true }), 2, 'the connection is back to FULL');

  // a commit while that fsync is under way waits for one that starts after it
  const second = commits.run(() => insert.run(2)).then(() => answered++);
  await until(() => count() === 2);
  t.equal(held.length, 1, 'no second fsync while the first runs');
  held.shift()!.done(null);
  await first;
  t.equal(answered, 1, 'the first is answered');
  await until(() => held.length === 1);
  t.equal(answered, 1, 'the second waits for its own fsync');
  held.shift()!.done(null);
  await second;
  t.equal(answered, 2);
});

t.test('a failed fsync fails its batch', async (t) => {
  held.length = 0;
  const { commits, insert } = setup(t, 'FULL');
  const p = commits.run(() => insert.run(1));
  await until(() => held.length === 1);
  held.shift()!.done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  await t.rejects(p, { code: 'EIO' });
  // the next one is tried again
  const q = commits.run(() => insert.run(2));
  await until(() => held.length === 1);
  held.shift()!.done(null);
  await q;
});

t.test('a connection without durability (NORMAL) asks for no fsync', async (t) => {
  held.length = 0;
  const { commits, insert, count } = setup(t, 'NORMAL');
  await commits.run(() => insert.run(1));
  t.equal(count(), 1);
  t.equal(held.length, 0);
});

t.test('a write that is not durable is answered after its commit, even beside a durable one, which waits for the fsync', async (t) => {
  held.length = 0;
  const { commits, insert, count } = setup(t, 'FULL');
  await commits.run(() => insert.run(1), { durable: false });
  t.equal(count(), 1, 'committed');
  t.equal(held.length, 0, 'and answered without an fsync');
  const answered: string[] = [];
  const light = commits.run(() => insert.run(2), { durable: false }).then(() => answered.push('light'));
  const durable = commits.run(() => insert.run(3)).then(() => answered.push('durable'));
  await until(() => held.length === 1);
  t.equal(count(), 3, 'one batch');
  await light;
  t.same(answered, ['light'], 'the write not marked durable is answered while the fsync is still held');
  held.shift()!.done(null);
  await durable;
  t.same(answered, ['light', 'durable']);
});

t.test('a failed fsync fails the durable writes of its batch, not the one already answered', async (t) => {
  held.length = 0;
  const { commits, insert } = setup(t, 'FULL');
  const light = commits.run(() => insert.run(1), { durable: false });
  const durable = commits.run(() => insert.run(2));
  await until(() => held.length === 1);
  await light;
  held.shift()!.done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  await t.rejects(durable, { code: 'EIO' });
});

t.test('the stores of one database share its GroupCommit', async (t) => {
  const { db } = setup(t, 'FULL');
  t.equal(GroupCommit.of(db), GroupCommit.of(db));
});
