/**
 * The durability of a group commit without holding the event loop: the batch commits with
 * `synchronous = NORMAL` (SQLite writes the WAL frames, no fsync), then the WAL file is fsync'd
 * on libuv's thread pool and the batch's writes resolve only after that — the guarantee of
 * `synchronous = FULL` (the commit record is on disk before the client hears 250), while this
 * process's event loop serves other sessions during the fsync and the write lock is held only
 * for the in-memory part, not for the disk flush.
 *
 * Why it is as safe as FULL: fsync applies to the file (its inode), whichever descriptor asks, so
 * it flushes the frames SQLite wrote; a commit made while an fsync is under way waits for the
 * next one, which starts after it. A checkpoint that copies frames into the database before our
 * fsync does its own syncs in NORMAL mode (WAL before, database after: sqlite.org/pragma.html
 * #pragma_synchronous), so frames a restarted WAL overwrote are already durable in the database.
 * The WAL file stays the same file while this connection is open (SQLite removes it only when
 * the last connection closes).
 */
import fs from 'node:fs';
import type { Db } from './database.ts';
import { FreshRun } from '../../../core/fresh-run.ts';

const syncs = new WeakMap<Db, WalSync>();

/**
 * The WAL syncer of a connection opened with synchronous = FULL (the durable default), shared by
 * its group commits; null for a connection opened without durability (NORMAL: tests, benchmarks).
 */
export function walSyncOf(db: Db): WalSync | null {
  if (db.memory || db.pragma('journal_mode', { simple: true }) !== 'wal' || db.pragma('synchronous', { simple: true }) !== 2) return null;
  let s = syncs.get(db);
  if (!s) syncs.set(db, (s = new WalSync(`${db.name}-wal`)));
  return s;
}

/** Closes the WAL file descriptor of a connection being closed. */
export function closeWalSync(db: Db): void {
  syncs.get(db)?.close();
  syncs.delete(db);
}

export class WalSync {
  private fd: Promise<number> | null = null;
  /** One fsync at a time; a commit made while one is under way waits for the next (FreshRun). */
  private readonly syncs = new FreshRun(() => this.open().then((fd) => new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())))));

  constructor(private readonly walFile: string) {}

  private open(): Promise<number> {
    this.fd ??= new Promise<number>((resolve, reject) => fs.open(this.walFile, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
    // a failed open is tried again by the next commit
    this.fd.catch(() => (this.fd = null));
    return this.fd;
  }

  /** Resolves once everything this process committed before the call is on disk. */
  sync(): Promise<void> {
    return this.syncs.run();
  }

  close(): void {
    const fd = this.fd;
    this.fd = null;
    void fd?.then((n) => fs.close(n, () => undefined), () => undefined);
  }
}
