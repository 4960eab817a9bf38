/** The embedded store: SQLite + message files under one data directory. */
import { closeWalSync } from './wal-sync.ts';
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
}

export function openEmbeddedStore(dataDir: string, opts: EmbeddedOptions = {}): EmbeddedStores {
  const db = openDatabase(dataDir, opts);
  const blobDir = path.join(dataDir, 'blobs');
  const changes = opts.changes ?? new LocalChangeNotifier();
  const ids = embeddedEmailIds(db);
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
      closeWalSync(db);
      db.close();
    },
  };
}
