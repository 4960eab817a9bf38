/**
 * WAL checkpoints off the event loop. By default SQLite checkpoints inside the commit that takes
 * the WAL past 1,000 pages: that COMMIT copies the pages into the database and fsyncs it twice,
 * holding the event loop of every session of the process and the write lock of every worker
 * (under the IMAP load bench the commits' own time fell from about 8% of a worker's CPU to 3.5%
 * with the checkpoints moved here). A Checkpointer runs PASSIVE
 * checkpoints on a thread of its own with its own connection, every INTERVAL_MS, and the
 * process's connection checkpoints itself only past FALLBACK_PAGES — the WAL stays bounded if
 * the thread is gone (and it is, between a crash and the next start: SQLite replays the WAL).
 *
 * Durability is unchanged: a checkpoint fsyncs the WAL before it copies frames (wal-sync.ts).
 */
import { Worker } from 'node:worker_threads';
import type { Db } from './database.ts';
import { sqliteDriverPackage } from './sqlite-driver.ts';

const INTERVAL_MS = 100;
/** What the process's own connection checkpoints at if the thread falls behind or is gone (pages of 4 KiB: 64 MiB). */
export const FALLBACK_PAGES = 16_384;
/** SQLite's default, restored when the thread has failed. */
const SQLITE_DEFAULT_PAGES = 1000;

export class Checkpointer {
  private readonly thread: Worker;
  private readonly exited: Promise<void>;

  constructor(db: Db, warn: (msg: string, err?: unknown) => void = () => {}) {
    db.pragma(`wal_autocheckpoint = ${FALLBACK_PAGES}`);
    this.thread = new Worker(new URL('./checkpoint-thread.mjs', import.meta.url), {
      workerData: { file: db.name, driver: sqliteDriverPackage, intervalMs: INTERVAL_MS },
    });
    this.thread.unref();
    let reported = false;
    this.thread.on('message', (m: { t: string; message?: string }) => {
      if (m.t === 'failed' && !reported) {
        // one line, not one every INTERVAL_MS; the next success does not need one
        reported = true;
        warn(`WAL checkpoint failed: ${m.message}`);
      }
    });
    this.thread.on('error', (err) => {
      warn('the WAL checkpoint thread failed; the store checkpoints on its commits again', err);
      if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_PAGES}`);
    });
    this.exited = new Promise((resolve) => this.thread.once('exit', () => resolve()));
  }

  /** Stops the thread after one last checkpoint (before the store's connection closes). */
  async close(): Promise<void> {
    this.thread.postMessage('stop');
    const timer = setTimeout(() => void this.thread.terminate(), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}
