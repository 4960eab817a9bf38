/** The embedded store: SQLite + message files under one data directory. */
import path from 'node:path';
import type { Stores } from '../../../core/store/ports.ts';
import { openDatabase } from './database.ts';
import { EmbeddedAccounts, EmbeddedAliases, EmbeddedDomains } from './directory.ts';
import { EmbeddedMail } from './mail.ts';

export interface EmbeddedStores extends Stores {
  mail: EmbeddedMail;
}

export function openEmbeddedStore(dataDir: string, opts: { durable?: boolean } = {}): EmbeddedStores {
  const db = openDatabase(dataDir, opts);
  const blobDir = path.join(dataDir, 'blobs');
  const mail = new EmbeddedMail(db, blobDir);
  return {
    accounts: new EmbeddedAccounts(db, blobDir),
    domains: new EmbeddedDomains(db, blobDir),
    aliases: new EmbeddedAliases(db),
    mail,
    async close() {
      db.close();
    },
  };
}
