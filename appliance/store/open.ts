/**
 * Opens the configured store: the embedded store under the data directory, or the PostgreSQL
 * cluster store (`store: { kind: 'postgres', url }`). CLI commands, which get a data directory
 * but no config, find the store through `openStoreForData`: MAILSERVER_STORE_URL, else the
 * `store.json` the appliance writes into its data directory when it runs on PostgreSQL, else the
 * embedded store.
 */
import type { Stores } from '../../core/store/ports.ts';
import type { AppConfig } from '../../core/config/schema.ts';
import type { Logger } from '../../core/log.ts';
import { removeStorePointer, storeUrlFor, writeStorePointer } from '../environment.ts';
import { openEmbeddedStore, type EmbeddedOptions } from './embedded/index.ts';

export type StoreConfig = AppConfig['store'];

export interface OpenOptions {
  nodeName?: string;
  log?: Logger;
  /** Embedded store with several workers: notifications and locks across them (appliance/workers/). */
  embedded?: Pick<EmbeddedOptions, 'changes' | 'sessionLocks'>;
  /** Embedded store: message files without a row are removed only past this age (other workers may be committing them). */
  orphanMinAgeMs?: number;
}

export async function openStore(store: StoreConfig, dataDir: string, opts: OpenOptions = {}): Promise<Stores> {
  const log = opts.log;
  if (store.kind === 'postgres') {
    const { openPostgresStore } = await import('./postgres/index.ts');
    const stores = await openPostgresStore({
      url: store.url, poolSize: store.poolSize, nodeName: opts.nodeName,
      log: (msg, err) => log?.warn({ err }, msg),
    });
    writeStorePointer(dataDir, store.url);
    return stores;
  }
  removeStorePointer(dataDir);
  const stores = openEmbeddedStore(dataDir, { ...opts.embedded, checkpointThread: true, warn: (msg, err) => log?.warn({ err }, msg) });
  const orphans = stores.mail.sweepOrphans(opts.orphanMinAgeMs);
  if (orphans) log?.warn({ orphans }, 'removed message files left by an interrupted commit');
  return stores;
}

/** The store a CLI command works on, for a data directory (see the file comment). */
export async function openStoreForData(dataDir: string): Promise<Stores | null> {
  const url = storeUrlFor(dataDir);
  if (!url) return null;
  const { openPostgresStore } = await import('./postgres/index.ts');
  return openPostgresStore({ url, poolSize: 2, nodeName: `cli-${process.pid}` });
}
