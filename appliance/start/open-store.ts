/**
 * Start-up step 3: the store, and the parts every config generation shares — the directory
 * cache, the login guard, the connection gate. Spool files of an interrupted run are removed
 * (never acknowledged), and IPs the mail filter refuses at runtime go into the config history.
 */
import path from 'node:path';
import type { AppConfig } from '../../core/config/schema.ts';
import { shareWithWorkers, workerCounts, workerStoreOptions } from '../workers/attach-worker.ts';
import { openStore } from '../store/open.ts';
import { cleanSpool, spoolDirOf } from '../store/spool.ts';
import { recordRefusedIpsInHistory } from '../config-repo/snapshot/refused-history.ts';
import { DirectoryCache } from '../recipients/directory-cache.ts';
import { AuthGuard } from '../auth/guard.ts';
import { ConnectionGate } from '../net/connection-gate.ts';
import type { SharedParts } from '../runtime/generation.ts';
import { WorkPool, workPoolSettings } from '../runtime/work-pool.ts';
import type { LoadedConfig } from './load-config.ts';
import type { Closers } from './closers.ts';

export interface OpenedStore {
  shared: SharedParts;
  /** The gate reads the serving config's limits: set once the runtime serves. */
  serveFrom(config: () => AppConfig): void;
}

/** Past this age a message file no row names is a crash's leftover even while other workers commit. */
const ORPHAN_MIN_AGE_MS = 3_600_000;

export async function openStartStore(loaded: LoadedConfig, opened: Closers): Promise<OpenedStore> {
  const { config, log } = loaded;
  const { dataDir } = loaded.source;
  const worker = loaded.source.worker;
  const lead = !worker || worker.lead;
  const stores = await openStore(config.store, dataDir, {
    nodeName: config.node.name, log,
    embedded: worker && workerStoreOptions(worker),
    orphanMinAgeMs: worker && !worker.alone ? ORPHAN_MIN_AGE_MS : 0,
  });
  opened.push(() => stores.close());
  // each worker receives into a folder of its own, so one starting never removes another's
  const spoolDir = worker ? path.join(spoolDirOf(dataDir), `worker-${worker.id}`) : spoolDirOf(dataDir);
  const spooled = cleanSpool(spoolDir);
  if (spooled) log.warn({ files: spooled, dir: spoolDir }, 'removed spool files left by an interrupted run');
  // MF-2: the lead commits runtime refusals to the config history, the other workers tell it theirs
  const refusedHistory = lead ? recordRefusedIpsInHistory(stores, dataDir, log) : null;
  if (refusedHistory) opened.push(() => refusedHistory.flush());
  let serving: () => AppConfig = () => config;
  const shared: SharedParts = {
    stores, log, dataDir, spoolDir, lead, supervised: !!worker,
    directory: new DirectoryCache(stores),
    // one login guard for SMTP, IMAP, POP3 and HTTP, kept across config generations
    auth: new AuthGuard(config.auth),
    // one connection gate (per-IP counts, fd reserve) for every listener
    gate: new ConnectionGate(() => serving().connections, undefined, worker && workerCounts(worker)),
  };
  // the work threads start at the first task; closed after the runtime (its plugins and delivery use them)
  const work = new WorkPool(workPoolSettings(config.node), log);
  shared.work = work;
  opened.push(() => work.close());
  if (worker) shareWithWorkers(worker, shared, refusedHistory);
  return { shared, serveFrom: (c) => (serving = c) };
}
