/** The embedded store: SQLite + message files under one data directory. */
import { closeWalSync } from './wal-sync.ts';
import { Checkpointer } from './checkpointer.ts';
import path from 'node:path';
import type { Stores } from '../../../core/store/ports.ts';
import { openDatabase } from './database.ts';
import { EmbeddedAccounts, EmbeddedAliases, EmbeddedDomains } from './directory.ts';
import { EmbeddedMail } from './mail.ts';
import { embeddedEmailIds } from './mailboxes.ts';
import type { EmbeddedQueue } from './queue.ts';
import { EmbeddedFolders } from './folders.ts';
import { EmbeddedRefusedIps } from './refused-ips.ts';
import { EmbeddedLists } from './lists.ts';
import { LocalChangeNotifier, type ChangeNotifier } from '../../../core/store/notifications.ts';
import type { SessionLocks } from '../../../core/store/ports.ts';
import { EmbeddedAutoreplyState } from './autoreply-state.ts';

export interface EmbeddedStores extends Stores {
  mail: EmbeddedMail;
  queue: EmbeddedQueue;
}

export interface EmbeddedOptions {
  durable?: boolean;
  /** Change notifications reaching other processes on this data directory (default: this process only). */
  changes?: ChangeNotifier;
  /** Session locks held across the processes on this data directory (default: none beyond this process's own). */
  sessionLocks?: SessionLocks;
  /** WAL checkpoints on a thread (checkpointer.ts: the appliance) rather than in the commits (SQLite's default: the CLI, tools). */
  checkpointThread?: boolean;
  /** Where the store reports a failure it survives (the checkpoint thread's). */
  warn?: (msg: string, err?: unknown) => void;
}

export function openEmbeddedStore(dataDir: string, opts: EmbeddedOptions = {}): EmbeddedStores {
  const db = openDatabase(dataDir, opts);
  const blobDir = path.join(dataDir, 'blobs');
  const changes = opts.changes ?? new LocalChangeNotifier();
  const ids = embeddedEmailIds(db);
  const checkpointer = opts.checkpointThread ? new Checkpointer(db, opts.warn) : null;
  const mail = new EmbeddedMail(db, blobDir, ids, changes);
  return {
    accounts: new EmbeddedAccounts(db, blobDir),
    domains: new EmbeddedDomains(db, blobDir),
    aliases: new EmbeddedAliases(db),
    mail,
    queue: mail.queue,
    folders: new EmbeddedFolders(db, blobDir, changes, ids),
    lists: new EmbeddedLists(db),
    changes,
    sessionLocks: opts.sessionLocks,
    autoreply: new EmbeddedAutoreplyState(db),
    refusedIps: new EmbeddedRefusedIps(db),
    async close() {
      await checkpointer?.close();
      closeWalSync(db);
      db.close();
    },
  };
}
