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
const rawStatements = new WeakMap<Db, Map<string, Database.Statement>>();

function cached(all: WeakMap<Db, Map<string, Database.Statement>>, db: Db, text: string, raw: boolean): Database.Statement {
  let cache = all.get(db);
  if (!cache) all.set(db, (cache = new Map()));
  let stmt = cache.get(text);
  if (!stmt) cache.set(text, (stmt = raw ? db.prepare(text).raw(true) : db.prepare(text)));
  return stmt;
}

/** A prepared statement, prepared once per database (preparing costs more than running). */
export function sql<P extends unknown[] = unknown[], R = unknown>(db: Db, text: string): Database.Statement<P, R> {
  return cached(statements, db, text, false) as Database.Statement<P, R>;
}

/**
 * The same in better-sqlite3's raw mode: each row an array of its columns in the statement's
 * order. The driver builds a row object property by property, through V8's slow path; for the
 * hot listings a literal built from the array costs about a third less (mailboxes.ts).
 */
export function rawSql<P extends unknown[] = unknown[]>(db: Db, text: string): Database.Statement<P, unknown[]> {
  return cached(rawStatements, db, text, true) as Database.Statement<P, unknown[]>;
}
