/**
 * The cluster store: every port of core/store/ports.ts on a PostgreSQL database shared by all
 * nodes (DESIGN.md "Storage"). Opening it applies the schema migrations (under an advisory lock,
 * so nodes starting together do not race) and starts the LISTEN connection.
 */
import os from 'node:os';
import type { Stores } from '../../../core/store/ports.ts';
import { PgDb, redactUrl } from './database.ts';
import { PgAccounts, PgAliases, PgDomains } from './directory.ts';
import { PgMail } from './mail.ts';
import { PgFolders } from './folders.ts';
import { PgQueue } from './queue.ts';
import { PgLists } from './lists.ts';
import { PgAutoreplyState } from './autoreply-state.ts';
import { PgRefusedIps } from './refused-ips.ts';
import { PgNotifier } from './notifier.ts';
import { PgSessionLocks } from './session-locks.ts';
import { EmailIds, newObjectIdSecret, OBJECTID_SECRET } from '../shared/object-ids.ts';

/** The installation's EMAILID key: the first node to open the store makes it (RFC 8474 §5.1, §7). */
async function pgEmailIds(db: PgDb): Promise<EmailIds> {
  await db.q('INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [OBJECTID_SECRET, newObjectIdSecret()]);
  const [row] = await db.q<{ value: string }>('SELECT value FROM secrets WHERE name = $1', [OBJECTID_SECRET]);
  return new EmailIds(Buffer.from(row!.value, 'hex'));
}

export interface PostgresStoreOptions {
  url: string;
  poolSize?: number;
  /** This node's name: queue leases carry it (releaseAll frees only this node's). */
  nodeName?: string;
  log?: (msg: string, err?: unknown) => void;
}

export interface PostgresStores extends Stores {
  mail: PgMail;
  queue: PgQueue;
  db: PgDb;
}

export async function openPostgresStore(opts: PostgresStoreOptions): Promise<PostgresStores> {
  const node = opts.nodeName ?? os.hostname();
  const db = new PgDb(opts.url, { poolSize: opts.poolSize, applicationName: `mailserver ${node}`, log: opts.log });
  try {
    await db.migrate();
  } catch (err) {
    await db.close().catch(() => undefined);
    throw new Error(`cannot open the PostgreSQL store at ${redactUrl(opts.url)}: ${(err as Error).message}`, { cause: err });
  }
  const changes = new PgNotifier(db, opts.log);
  // LISTEN is in place before the store is used (a change committed after open is heard)
  await Promise.race([changes.ready, new Promise((r) => setTimeout(r, 5000))]);
  const queue = new PgQueue(db, changes, node);
  const ids = await pgEmailIds(db);
  const mail = new PgMail(db, changes, queue, ids);
  const sessionLocks = new PgSessionLocks(db, opts.log);
  return {
    db,
    accounts: new PgAccounts(db),
    domains: new PgDomains(db),
    aliases: new PgAliases(db),
    mail,
    queue,
    folders: new PgFolders(db, changes, ids),
    lists: new PgLists(db),
    changes,
    autoreply: new PgAutoreplyState(db),
    refusedIps: new PgRefusedIps(db),
    sessionLocks,
    async close() {
      await sessionLocks.close();
      await changes.close();
      await db.close();
    },
  };
}
