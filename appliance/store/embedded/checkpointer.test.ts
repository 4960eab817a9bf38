/**
 * WAL checkpoints on the Checkpointer's thread: the pages committed by the store's connection
 * reach the database file without a commit of this process doing the copy, and closing the
 * store stops the thread.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from './database.ts';
import { Checkpointer, FALLBACK_PAGES } from './checkpointer.ts';

t.test('committed pages are copied into the database by the thread', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpointer-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = openDatabase(dir);
  const file = path.join(dir, 'mailserver.db');
  db.pragma('wal_checkpoint(TRUNCATE)');
  const checkpointer = new Checkpointer(db);
  t.equal(db.pragma('wal_autocheckpoint', { simple: true }), FALLBACK_PAGES, 'the connection checkpoints itself only past the fallback');
  db.exec('CREATE TABLE bulk (v BLOB)');
  const insert = db.prepare('INSERT INTO bulk (v) VALUES (?)');
  // about 2,500 pages in 50 commits: past SQLite's default of 1,000 pages, under the fallback
  for (let i = 0; i < 50; i++) db.transaction(() => { for (let j = 0; j < 50; j++) insert.run(Buffer.alloc(4000, i)); })();
  const before = fs.statSync(file).size;
  const deadline = Date.now() + 5000;
  while (fs.statSync(file).size < before + 8 * 1024 * 1024 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.ok(fs.statSync(file).size >= before + 8 * 1024 * 1024, `the database file grew from ${before} to ${fs.statSync(file).size} bytes with no commit after the writes`);
  await checkpointer.close();
  t.same(db.prepare('SELECT count(*) AS n FROM bulk').get(), { n: 2500 }, 'every row is there');
  db.close();
});
