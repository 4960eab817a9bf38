/**
 * Opens the embedded SQLite database. WAL lets the CLI change accounts while the appliance
 * runs; synchronous=FULL makes every commit fsync the WAL, so a committed message survives
 * a crash or power loss (DESIGN.md "Storage").
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from './sqlite-driver.ts';
import { MIGRATIONS } from './schema.ts';

export type Db = Database.Database;

/** How long a write waits for another process's write lock before SQLITE_BUSY (the CLI, other workers). */
export const BUSY_TIMEOUT_MS = 10_000;

export function openDatabase(dataDir: string, opts: { durable?: boolean } = {}): Db {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'mailserver.db');
  // SQLite gives the -wal and -shm files the database file's mode: create it 0600 first
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.durable === false ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  const check = db.pragma('quick_check', { simple: true });
  if (check !== 'ok') throw new Error(`database ${path.join(dataDir, 'mailserver.db')} failed its integrity check: ${String(check)}`);
  return db;
}

const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement, prepared once per database (preparing costs more than running). */
export function sql<P extends unknown[] = unknown[], R = unknown>(db: Db, text: string): Database.Statement<P, R> {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let stmt = cache.get(text);
  if (!stmt) cache.set(text, (stmt = db.prepare(text)));
  return stmt as Database.Statement<P, R>;
}
