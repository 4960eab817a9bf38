/**
 * The better-sqlite3 build that fits the running Node: 12.x (a native module built by `npm ci`
 * for this Node's ABI) on Node 20, 13.x (Node-API prebuilds; it needs Node >= 22 and crashes on
 * 20) on Node 22 and later. Every file that opens SQLite takes `Database` from here.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);

/** The package name of the better-sqlite3 major this runtime loads. */
export const sqliteDriverPackage = Number(process.versions.node.split('.')[0]) >= 22 ? 'better-sqlite3-13' : 'better-sqlite3';

const Database = require(sqliteDriverPackage) as typeof BetterSqlite3;
// eslint-disable-next-line @typescript-eslint/no-namespace
declare namespace Database {
  type Database = BetterSqlite3.Database;
  type Statement<P extends unknown[] | {} = unknown[], R = unknown> = BetterSqlite3.Statement<P, R>;
  type Options = BetterSqlite3.Options;
}
export default Database;
