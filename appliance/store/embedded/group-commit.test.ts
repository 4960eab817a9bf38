/**
 * The group commit while another process holds SQLite's write lock (another worker, the CLI):
 * a second connection to the same file plays that process. The batch must wait without holding
 * the event loop, take in writes that arrive meanwhile, and commit once the lock is free.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from './sqlite-driver.ts';
import { GroupCommit } from './group-commit.ts';

function open(file: string) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 10000');
  return db;
}

t.test('waits for another connection\'s write lock on a timer, not inside SQLite', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'group-commit-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'db.sqlite');
  const mine = open(file);
  const other = open(file);
  t.teardown(() => (mine.close(), other.close()));
  mine.exec('CREATE TABLE t (v INTEGER)');
  const commits = new GroupCommit(mine);
  const insert = mine.prepare('INSERT INTO t (v) VALUES (?)');

  other.exec('BEGIN IMMEDIATE'); // the other process writes
  const first = commits.run(() => insert.run(1));
  // the event loop goes on while the batch waits: timers fire, more writes join
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 2);
  await new Promise((r) => setTimeout(r, 60));
  const second = commits.run(() => insert.run(2));
  await new Promise((r) => setTimeout(r, 20));
  t.ok(ticks >= 10, `the event loop ran while the lock was taken (${ticks} timer ticks in 80 ms)`);
  t.equal((other.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 0, 'nothing committed yet');
  other.exec('COMMIT');
  await Promise.all([first, second]);
  clearInterval(ticker);
  t.same(other.prepare('SELECT v FROM t ORDER BY v').all(), [{ v: 1 }, { v: 2 }], 'both writes committed once the lock was free');
});

t.test('a failing write fails alone; the batch commits the rest', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'group-commit-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = open(path.join(dir, 'db.sqlite'));
  t.teardown(() => db.close());
  db.exec('CREATE TABLE t (v INTEGER UNIQUE)');
  const commits = new GroupCommit(db);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const results = await Promise.allSettled([commits.run(() => insert.run(1)), commits.run(() => insert.run(1)), commits.run(() => insert.run(2))]);
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  t.same(db.prepare('SELECT v FROM t ORDER BY v').all(), [{ v: 1 }, { v: 2 }]);
});

t.test('a write that fails half way leaves none of its changes, alone in its batch or among others', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'group-commit-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = open(path.join(dir, 'db.sqlite'));
  t.teardown(() => db.close());
  db.exec('CREATE TABLE t (v INTEGER)');
  const commits = new GroupCommit(db);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const halfway = (v: number) => () => {
    insert.run(v);
    throw new Error(`failed after inserting ${v}`);
  };
  await t.rejects(commits.run(halfway(1)), /after inserting 1/, 'alone: rejected');
  t.same(db.prepare('SELECT v FROM t').all(), [], 'alone: its insert was taken back');
  t.notOk(db.inTransaction, 'alone: no transaction left open');
  const results = await Promise.allSettled([commits.run(() => insert.run(2)), commits.run(halfway(3)), commits.run(() => insert.run(4))]);
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  t.same(db.prepare('SELECT v FROM t ORDER BY v').all(), [{ v: 2 }, { v: 4 }], 'among others: only its insert was taken back');
  await commits.run(() => insert.run(5));
  t.same(db.prepare('SELECT count(*) AS n FROM t').get(), { n: 3 }, 'the next batch commits as usual');
});

t.test('writes still waiting when the database is closed fail, without an exception out of the timer', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'group-commit-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const durable of [true, false]) {
    const db = open(path.join(dir, `closed-${durable}.sqlite`));
    // synchronous = FULL: the durable path (commit, then the WAL's fsync off the loop) is taken
    if (durable) db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (v INTEGER)');
    const commits = new GroupCommit(db);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const write = commits.run(() => insert.run(1));
    db.close(); // in the same turn: the batch's flush comes after
    await t.rejects(write, /the store is closed/, `${durable ? 'durable' : 'plain'} connection: the write is refused`);
  }
});
