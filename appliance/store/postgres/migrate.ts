/**
 * `mailserver store migrate`: copies an embedded install (SQLite + message files) into an empty
 * PostgreSQL database, row for row, so that nothing a client or peer relies on changes: account
 * ids, password hashes and APOP secrets, mailboxes with their UIDVALIDITY, UIDs, flags and
 * MODSEQs, \Recent marks and expunge records (QRESYNC), blobs (files read into bytea), the queue
 * with its retry state (leases dropped), list and auto-reply runtime data. One transaction: a
 * failed migration leaves the database empty. The appliance must be stopped meanwhile.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../../core/errors.ts';
import { openDatabase, type Db } from '../embedded/database.ts';
import { embeddedEmailIds } from '../embedded/mailboxes.ts';
import { PgDb, redactUrl, type Sql } from './database.ts';

interface TableSpec {
  name: string;
  columns: string[];
  /** SQLite 0/1 columns that are booleans in PostgreSQL. */
  booleans?: string[];
  /** Identity column whose sequence must continue after the copied ids. */
  identity?: string;
}

/** In dependency order (foreign keys). */
const TABLES: TableSpec[] = [
  { name: 'domains', columns: ['name', 'account_limit', 'admin', 'copy_errors_to_admin'], booleans: ['copy_errors_to_admin'] },
  {
    name: 'accounts', identity: 'id',
    columns: ['id', 'name', 'domain', 'full_name', 'home', 'quota', 'smtp_auth', 'apop', 'pop3_disabled', 'imap_disabled', 'shared_path', 'shared_write', 'password_hash', 'secret', 'usage'],
    booleans: ['smtp_auth', 'apop', 'pop3_disabled', 'imap_disabled', 'shared_write'],
  },
  { name: 'aliases', columns: ['alias', 'target', 'rewrite'], booleans: ['rewrite'] },
  { name: 'mailboxes', identity: 'id', columns: ['id', 'account_id', 'name', 'uid_validity', 'uid_next', 'highest_modseq', 'special_use', 'first_recent_uid', 'object_id'] },
  { name: 'blobs', columns: ['id', 'size', 'data', 'refs', 'thread_root'] },
  { name: 'messages', columns: ['mailbox_id', 'uid', 'modseq', 'flags', 'internal_date', 'size', 'blob_id'] },
  { name: 'subscriptions', columns: ['account_id', 'name'] },
  { name: 'expunged', columns: ['mailbox_id', 'uid', 'modseq'] },
  { name: 'queue', columns: ['id', 'mail_from', 'blob_id', 'created', 'size'] },
  {
    name: 'queue_recipients',
    columns: ['queue_id', 'recipient', 'domain', 'status', 'attempts', 'refusals', 'next_attempt', 'first_failure', 'last_error', 'lease_until', 'lease'],
  },
  { name: 'autoreply_state', columns: ['account_id', 'address', 'last_reply', 'replies', 'recorded', 'never_again'], booleans: ['recorded', 'never_again'] },
  { name: 'list_members', identity: 'seq', columns: ['seq', 'list', 'addr_key', 'address', 'name', 'bounces', 'disabled'], booleans: ['disabled'] },
  { name: 'list_counters', columns: ['list', 'counter'] },
  { name: 'list_archive', columns: ['list', 'n', 'subject', 'sender', 'date', 'content'] },
  { name: 'list_keys', columns: ['list', 'key', 'expires'] },
  { name: 'list_pending', columns: ['token', 'list', 'action', 'address', 'stage', 'expires'] },
  { name: 'refused_ips', columns: ['ip', 'reason', 'added'] },
  // the EMAILID key: the same ids after the move (RFC 8474 §5.1)
  { name: 'secrets', columns: ['name', 'value'] },
];

export interface MigrationReport {
  tables: { name: string; rows: number }[];
  blobBytes: number;
  /** SQLite tables this build does not know how to copy (none expected). */
  skipped: string[];
  ms: number;
}

/** Rows per INSERT: under PostgreSQL's 65535 parameters, and a few MB of blob bytes. */
const MAX_PARAMS = 30_000;
const MAX_BYTES = 16 * 1024 * 1024;

async function insertRows(c: Sql, table: TableSpec, rows: unknown[][]): Promise<void> {
  if (!rows.length) return;
  const n = table.columns.length;
  const values = rows.map((_, r) => `(${table.columns.map((__, i) => `$${r * n + i + 1}`).join(', ')})`).join(', ');
  await c.query(`INSERT INTO ${table.name} (${table.columns.join(', ')}) VALUES ${values}`, rows.flat());
}

function convert(table: TableSpec, row: Record<string, unknown>, blobDir: string): unknown[] {
  return table.columns.map((col) => {
    let v = row[col];
    if (table.booleans?.includes(col)) return v === null || v === undefined ? null : !!v;
    if (table.name === 'blobs' && col === 'data' && v == null) {
      // a large message lives in a file under blobs/
      const file = path.join(blobDir, String(row.path));
      if (!fs.existsSync(file)) throw new Error(`message file ${file} of blob ${String(row.id)} is missing`);
      v = fs.readFileSync(file);
    }
    if (table.name === 'queue_recipients' && col === 'lease') return null;
    if (table.name === 'queue_recipients' && col === 'lease_until') return 0;
    return v;
  });
}

function sourceTables(db: Db): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
}

export async function migrateEmbeddedToPostgres(dataDir: string, url: string, progress: (line: string) => void = () => undefined): Promise<MigrationReport> {
  if (!fs.existsSync(path.join(dataDir, 'mailserver.db'))) throw new UsageError(`no embedded store in ${dataDir} (no mailserver.db there)`);
  const started = Date.now();
  const src = openDatabase(dataDir);
  // an install last opened by an older build has no EMAILID key yet: make it, so it is copied
  embeddedEmailIds(src);
  const blobDir = path.join(dataDir, 'blobs');
  const pg = new PgDb(url, { poolSize: 2, applicationName: 'mailserver migrate' });
  try {
    try {
      await pg.migrate();
    } catch (err) {
      throw new UsageError(`cannot use the PostgreSQL database ${redactUrl(url)}: ${(err as Error).message}`);
    }
    const nonEmpty: string[] = [];
    // the secrets a store makes when it opens are replaced by the embedded install's below
    for (const t of TABLES) if (t.name !== 'secrets' && (await pg.q<{ n: number }>(`SELECT count(*) AS n FROM ${t.name}`))[0].n > 0) nonEmpty.push(t.name);
    if (nonEmpty.length) throw new UsageError(`the PostgreSQL database ${redactUrl(url)} is not empty (${nonEmpty.join(', ')}): migrate needs an empty database`);
    const known = new Set(TABLES.map((t) => t.name));
    const skipped = sourceTables(src).filter((t) => !known.has(t));
    const report: MigrationReport = { tables: [], blobBytes: 0, skipped, ms: 0 };
    await pg.tx(async (c) => {
      await c.query('DELETE FROM secrets');
      for (const table of TABLES) {
        let batch: unknown[][] = [];
        let bytes = 0;
        let count = 0;
        for (const row of src.prepare(`SELECT * FROM ${table.name}`).iterate() as IterableIterator<Record<string, unknown>>) {
          const values = convert(table, row, blobDir);
          if (table.name === 'blobs') report.blobBytes += (values[2] as Buffer).length;
          bytes += values.reduce<number>((s, v) => s + (Buffer.isBuffer(v) ? v.length : 0), 0);
          batch.push(values);
          count++;
          if ((batch.length + 1) * table.columns.length > MAX_PARAMS || bytes > MAX_BYTES) {
            await insertRows(c, table, batch);
            batch = [];
            bytes = 0;
          }
        }
        await insertRows(c, table, batch);
        if (table.identity) {
          await c.query(`SELECT setval(pg_get_serial_sequence('${table.name}', '${table.identity}'), coalesce((SELECT max(${table.identity}) FROM ${table.name}), 0) + 1, false)`);
        }
        report.tables.push({ name: table.name, rows: count });
        progress(`${table.name}: ${count} row${count === 1 ? '' : 's'}`);
      }
      // verify inside the transaction: a mismatch rolls everything back
      for (const { name, rows } of report.tables) {
        const n = (await c.query<{ n: number }>(`SELECT count(*) AS n FROM ${name}`)).rows[0].n;
        if (n !== rows) throw new Error(`verification failed: ${name} has ${n} rows in PostgreSQL, ${rows} in the embedded store`);
      }
      const pgBytes = (await c.query<{ n: number }>('SELECT coalesce(sum(length(data)), 0) AS n FROM blobs')).rows[0].n;
      if (pgBytes !== report.blobBytes) throw new Error(`verification failed: ${pgBytes} message bytes in PostgreSQL, ${report.blobBytes} in the embedded store`);
    }, 'migration');
    report.ms = Date.now() - started;
    return report;
  } finally {
    src.close();
    await pg.close();
  }
}
