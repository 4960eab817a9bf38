/**
 * Group commit: every write requested in the same event-loop turn runs in one SQLite
 * transaction, so many sessions finishing DATA together share one WAL fsync. Each write
 * runs in its own savepoint, so one failing write does not fail its neighbours.
 *
 * Several processes (the workers of a node, the CLI) write to one database. SQLite's own wait
 * for the write lock (busy_timeout) sleeps inside the call, holding the event loop for up to
 * 100 ms a step; so the transaction is begun without waiting, and while another process holds
 * the lock the batch waits on a timer, taking in more writes, and tries again. Only after
 * BUSY_TIMEOUT_MS of that does it wait inside SQLite like any other write (and fail with it).
 *
 * On a durable connection (synchronous = FULL) the batch commits without SQLite's fsync and its
 * writes resolve after the WAL is fsync'd on the thread pool (wal-sync.ts): the same guarantee,
 * without holding the event loop or the write lock for the disk flush.
 *
 * One GroupCommit serves a database (`GroupCommit.of`): the mail, folder and queue writes of a
 * turn share one transaction and one fsync. A write may be marked not durable (IMAP flag
 * changes, the \Recent claim): a batch of only such writes is committed without the fsync,
 * as Dovecot's `mail_fsync = optimized` does for its index updates. In WAL mode a commit
 * without its fsync is still atomic and ordered: a power loss can only take back the last
 * such commits, never corrupt the database, and the next durable commit's fsync covers them.
 */
import { BUSY_TIMEOUT_MS, type Db } from './database.ts';
import { metrics } from '../../metrics/index.ts';
import { walSyncOf, type WalSync } from './wal-sync.ts';

interface Pending {
  work: () => unknown;
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** The wait between two attempts to take the write lock. */
const RETRY_MS = 1;

const shared = new WeakMap<Db, GroupCommit>();

export interface WriteOptions {
  /** The write is answered only after it is on disk (default). False: after its commit. */
  durable?: boolean;
}

export class GroupCommit {
  /** The database's one GroupCommit. */
  static of(db: Db): GroupCommit {
    let commits = shared.get(db);
    if (!commits) shared.set(db, (commits = new GroupCommit(db)));
    return commits;
  }

  private pending: Pending[] = [];
  private scheduled = false;
  /** When the batch waiting now first found the lock taken (0: not waiting). */
  private waitingSince = 0;
  private readonly wal: WalSync | null;
  private readonly sql: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', { run(): unknown }>;
  constructor(private readonly db: Db) {
    this.wal = walSyncOf(db);
    // prepared once (db.exec parses its SQL on every call). Not the PRAGMAs: SQLite applies
    // busy_timeout and synchronous while preparing them, so a prepared one would not act again;
    // they go through db.exec, about a fifth of db.pragma's cost (no statement object, no rows),
    // which mattered at four a batch
    this.sql = {
      begin: db.prepare('BEGIN IMMEDIATE'), commit: db.prepare('COMMIT'), rollback: db.prepare('ROLLBACK'),
      savepoint: db.prepare('SAVEPOINT batch_write'), release: db.prepare('RELEASE batch_write'), rollbackTo: db.prepare('ROLLBACK TO batch_write'),
    };
  }

  run<T>(work: () => T, opts: WriteOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, durable: opts.durable ?? true, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** BEGIN IMMEDIATE without waiting for another process's write lock; false when it is taken. */
  private tryBegin(): boolean {
    if (this.waitingSince && Date.now() - this.waitingSince > BUSY_TIMEOUT_MS) {
      this.sql.begin.run(); // waits busy_timeout more, then throws SQLITE_BUSY
      return true;
    }
    this.db.exec('PRAGMA busy_timeout = 0');
    try {
      this.sql.begin.run();
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return false;
      throw err;
    } finally {
      this.db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  private flush(): void {
    if (!this.db.open) {
      // the store was closed (shutdown) with writes still waiting for their turn: they fail,
      // answered as any failed write (451 / NO), instead of an exception out of the timer
      const batch = this.pending;
      this.pending = [];
      this.scheduled = false;
      this.waitingSince = 0;
      for (const p of batch) p.reject(new Error('the store is closed'));
      return;
    }
    if (!this.wal) return this.flushBatch();
    // SQLite writes the commit's frames without its fsync, which follows off the event loop
    // (wal.sync in flushBatch); the level cannot change inside a transaction, so it is set
    // around it — no other write of this connection can run in between (all of it is synchronous)
    this.db.exec('PRAGMA synchronous = NORMAL');
    try {
      this.flushBatch();
    } finally {
      this.db.exec('PRAGMA synchronous = FULL');
    }
  }

  /**
   * One write of a batch in its own savepoint, so that its failure takes back only its changes.
   * Prepared statements rather than better-sqlite3's db.transaction(), which builds its wrapper
   * functions anew on every call.
   */
  private inSavepoint(work: () => unknown): { ok: boolean; value: unknown } {
    this.sql.savepoint.run();
    try {
      const value = work();
      this.sql.release.run();
      return { ok: true, value };
    } catch (err) {
      // a failure may have ended the transaction itself (SQLITE_FULL, I/O errors): then none of
      // the batch is kept, and the rest must not run outside it
      if (!this.db.inTransaction) throw err;
      this.sql.rollbackTo.run();
      this.sql.release.run();
      return { ok: false, value: err };
    }
  }

  private flushBatch(): void {
    const batch = this.pending;
    this.pending = [];
    let begun: boolean;
    try {
      begun = this.tryBegin();
    } catch (err) {
      this.scheduled = false;
      this.waitingSince = 0;
      for (const p of batch) p.reject(err);
      return;
    }
    if (!begun) {
      // another process writes: wait a moment, with what came in meanwhile joining the batch
      this.pending = batch.concat(this.pending);
      this.waitingSince ||= Date.now();
      setTimeout(() => this.flush(), RETRY_MS);
      return;
    }
    this.scheduled = false;
    this.waitingSince = 0;
    const started = performance.now();
    const results: { ok: boolean; value: unknown }[] = [];
    try {
      if (batch.length === 1) {
        // alone in its batch, a write needs no savepoint: if it fails, the whole transaction goes
        try {
          results.push({ ok: true, value: batch[0].work() });
        } catch (err) {
          if (this.db.inTransaction) this.sql.rollback.run();
          batch[0].reject(err);
          return;
        }
      } else {
        for (const p of batch) results.push(this.inSavepoint(p.work));
      }
      this.sql.commit.run();
    } catch (err) {
      // the commit itself failed (disk full, I/O error): nothing of the batch is durable
      try {
        if (this.db.inTransaction) this.sql.rollback.run();
      } catch {
        // SQLite rolled it back itself
      }
      for (const p of batch) p.reject(err);
      return;
    }
    const settle = (which: (p: Pending) => boolean) => {
      batch.forEach((p, i) => {
        if (which(p)) (results[i].ok ? p.resolve(results[i].value) : p.reject(results[i].value));
      });
    };
    const wal = this.wal;
    const durable = wal ? batch.filter((p) => p.durable).length : 0;
    if (!wal || !durable) {
      metrics.storeCommit((performance.now() - started) / 1000, batch.length);
      return settle(() => true);
    }
    // the writes not marked durable are answered now, at their commit, even when they share the
    // batch with durable ones: a flag change does not wait for another session's APPEND to reach
    // the disk (the fsync that follows covers it as well)
    if (durable < batch.length) settle((p) => !p.durable);
    // nothing durable is answered before its commit is on disk; a failed fsync fails those writes
    wal.sync().then(() => {
      metrics.storeCommit((performance.now() - started) / 1000, batch.length);
      settle((p) => p.durable);
    }, (err: unknown) => {
      for (const p of batch) if (p.durable) p.reject(err);
    });
  }
}
