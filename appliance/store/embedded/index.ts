/** The embedded store: SQLite + message files under one data directory. */
import path from 'node:path';
import type { Stores } from '../../../core/store/ports.ts';
import { openDatabase } from './database.ts';
import { EmbeddedAccounts, EmbeddedAliases, EmbeddedDomains } from './directory.ts';
import { EmbeddedMail } from './mail.ts';
import type { EmbeddedQueue } from './queue.ts';
import { EmbeddedFolders } from './folders.ts';
import { EmbeddedRefusedIps } from './refused-ips.ts';
import { EmbeddedLists } from './lists.ts';
import { LocalChangeNotifier } from '../../../core/store/notifications.ts';
import { EmbeddedAutoreplyState } from './autoreply-state.ts';

export interface EmbeddedStores extends Stores {
  mail: EmbeddedMail;
  queue: EmbeddedQueue;
}

export function openEmbeddedStore(dataDir: string, opts: { durable?: boolean } = {}): EmbeddedStores {
  const db = openDatabase(dataDir, opts);
  const blobDir = path.join(dataDir, 'blobs');
  const changes = new LocalChangeNotifier();
  const mail = new EmbeddedMail(db, blobDir, changes);
  return {
    accounts: new EmbeddedAccounts(db, blobDir),
    domains: new EmbeddedDomains(db, blobDir),
    aliases: new EmbeddedAliases(db),
    mail,
    queue: mail.queue,
    folders: new EmbeddedFolders(db, blobDir, changes),
    lists: new EmbeddedLists(db),
    changes,
    autoreply: new EmbeddedAutoreplyState(db),
    refusedIps: new EmbeddedRefusedIps(db),
    async close() {
      db.close();
    },
  };
}
