/**
 * Start-up step 3: the store, and the parts every config generation shares — the directory
 * cache, the login guard, the connection gate. Spool files of an interrupted run are removed
 * (never acknowledged), and IPs the mail filter refuses at runtime go into the config history.
 */
import type { AppConfig } from '../../core/config/schema.ts';
import { openStore } from '../store/open.ts';
import { cleanSpool, spoolDirOf } from '../store/spool.ts';
import { recordRefusedIpsInHistory } from '../config-repo/snapshot/refused-history.ts';
import { DirectoryCache } from '../recipients/directory-cache.ts';
import { AuthGuard } from '../auth/guard.ts';
import { ConnectionGate } from '../net/connection-gate.ts';
import type { SharedParts } from '../runtime/generation.ts';
import type { LoadedConfig } from './load-config.ts';
import type { Closers } from './closers.ts';

export interface OpenedStore {
  shared: SharedParts;
  /** The gate reads the serving config's limits: set once the runtime serves. */
  serveFrom(config: () => AppConfig): void;
}

export async function openStartStore(loaded: LoadedConfig, opened: Closers): Promise<OpenedStore> {
  const { config, log } = loaded;
  const { dataDir } = loaded.source;
  const stores = await openStore(config.store, dataDir, { nodeName: config.node.name, log });
  opened.push(() => stores.close());
  const spooled = cleanSpool(spoolDirOf(dataDir));
  if (spooled) log.warn({ files: spooled, dir: spoolDirOf(dataDir) }, 'removed spool files left by an interrupted run');
  const refusedHistory = recordRefusedIpsInHistory(stores, dataDir, log);
  opened.push(() => refusedHistory.flush());
  let serving: () => AppConfig = () => config;
  return {
    shared: {
      stores, log, dataDir,
      directory: new DirectoryCache(stores),
      // one login guard for SMTP, IMAP, POP3 and HTTP, kept across config generations
      auth: new AuthGuard(config.auth),
      // one connection gate (per-IP counts, fd reserve) for every listener
      gate: new ConnectionGate(() => serving().connections),
    },
    serveFrom: (c) => (serving = c),
  };
}
