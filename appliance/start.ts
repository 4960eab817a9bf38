/**
 * Starts the appliance: config, data directory, store, TLS, plugins (appliance and Haraka),
 * then the listeners. Returns a handle that stops everything in order.
 */
import path from 'node:path';
import { loadConfig } from '../core/config/load.ts';
import type { AppConfig } from '../core/config/schema.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { openStore } from './store/open.ts';
import { restrictUmask, secureDataDir } from './store/data-dir-permissions.ts';
import { prepareDiskAtStart } from './store/disk-space.ts';
import { recordRefusedIpsInHistory } from './config-repo/snapshot/refused-history.ts';
import { cleanSpool, spoolDirOf } from './store/spool.ts';
import { DirectoryCache } from './recipients/directory-cache.ts';
import type { DeliveryService } from './delivery/service.ts';
import { gateDelivery, startCluster } from './cluster/start-cluster.ts';
import type { SmtpService } from './smtp/server.ts';
import type { Pop3Service } from './pop3/index.ts';
import type { ImapService } from './imap/index.ts';
import { startHttp, type HttpService } from './http/server.ts';
import { ConfigRuntime } from './runtime/runtime.ts';
import type { ApplyOptions, ApplyResult } from './runtime/types.ts';
import { prepareRepositoryConfig } from './config-repo/bootstrap.ts';
import { startConfigService } from './config-repo/service.ts';
import { ClusterConfigSync, adoptClusterConfigAtStart } from './cluster/config-sync.ts';
import { AuthGuard } from './auth/guard.ts';
import { ConnectionGate } from './net/connection-gate.ts';
import { configFileFrom, dataDirFrom } from './environment.ts';

export interface StartOptions {
  configFile?: string;
  dataDir?: string;
  /** A config object instead of a file (tests). */
  config?: AppConfig;
  /**
   * Run the config repository's HEAD (`<dataDir>/config.git`, appliance/config-repo): the first
   * start commits `configFile`; `/config.git/` and the control socket take pushes. `mailserver start` sets it.
   */
  configRepository?: boolean;
  log?: Logger;
}

export interface Appliance {
  /** The config new sessions get now (the serving generation's). */
  readonly config: AppConfig;
  /** The file the config was loaded from (null: given as an object, or the built-in defaults). */
  readonly configFile: string | null;
  dataDir: string;
  /** The serving generation's listeners (SMTP, POP3, IMAP). */
  readonly smtp: SmtpService;
  readonly pop3: Pop3Service;
  readonly imap: ImapService;
  /** The HTTP(S) listeners and their route table (no listeners when http.listen is empty). */
  http: HttpService;
  /** The delivery service (null when delivery.enabled is false). */
  readonly delivery: DeliveryService | null;
  /**
   * Applies a new config live (appliance/runtime): builds a new generation (plugins, hooks,
   * listeners whose addresses changed), and only when it all came up switches new sessions to
   * it; on any failure the old generation stays and nothing changed.
   */
  apply(config: AppConfig, opts?: ApplyOptions): Promise<ApplyResult>;
  close(): Promise<void>;
}

export function defaultDataDir(): string {
  return dataDirFrom();
}

export async function startAppliance(opts: StartOptions = {}): Promise<Appliance> {
  // the data directory is the appliance's alone (appliance/store/data-dir-permissions.ts)
  restrictUmask();
  const tightened = secureDataDir(path.resolve(opts.dataDir ?? defaultDataDir()));
  // a node sharing its config over PostgreSQL first takes the cluster's newest commit
  if (opts.configRepository && !opts.config) {
    await adoptClusterConfigAtStart({ dataDir: path.resolve(opts.dataDir ?? defaultDataDir()), configFile: opts.configFile, log: opts.log ?? createLogger({}) });
  }
  // the config comes from the repository's HEAD, checked out under the data directory
  const repoStart = opts.configRepository && !opts.config
    ? await prepareRepositoryConfig({ dataDir: path.resolve(opts.dataDir ?? defaultDataDir()), configFile: opts.configFile, log: opts.log ?? createLogger({}) })
    : null;
  if (repoStart) opts = { ...opts, configFile: repoStart.configFile };
  const { config, file } = opts.config ? { config: opts.config, file: null } : await loadConfig(configFileFrom(opts.configFile));
  const dataDir = path.resolve(opts.dataDir ?? defaultDataDir());
  const log = opts.log ?? createLogger({ level: config.log.level });
  log.info({ config: file ?? '(defaults)', dataDir }, 'starting');
  if (tightened && tightened.dirs + tightened.files > 0) {
    log.warn({ dataDir, ...tightened }, `data directory permissions tightened: removed group/other access from ${tightened.dirs} directories and ${tightened.files} files under ${dataDir} (now 0700/0600)`);
  }

  // on a full disk, release the reserve file so the store can open, and say so
  await prepareDiskAtStart(dataDir, config.smtp.queueMinFreeBytes, log);

  // everything opened so far, closed in reverse order on shutdown or on a failed start
  const opened: (() => void | Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of opened.splice(0).reverse()) await close();
  };
  try {
    const stores = await openStore(config.store, dataDir, { nodeName: config.node.name, log });
    opened.push(() => stores.close());
    // messages that were being received when an earlier run stopped: never acknowledged, gone
    const spooled = cleanSpool(spoolDirOf(dataDir));
    if (spooled) log.warn({ files: spooled, dir: spoolDirOf(dataDir) }, 'removed spool files left by an interrupted run');
    // IPs the mail filter refuses at runtime are committed to the config history
    const refusedHistory = recordRefusedIpsInHistory(stores, dataDir, log);
    opened.push(() => refusedHistory.flush());
    const directory = new DirectoryCache(stores);
    // one login guard for SMTP, IMAP, POP3 and HTTP, kept across config generations
    const auth = new AuthGuard(config.auth);
    // one connection gate (per-IP counts, fd reserve) for every listener; settings of the serving config
    let serving: () => AppConfig = () => config;
    const gate = new ConnectionGate(() => serving().connections);
    // the config generation: TLS, plugins (appliance and Haraka), hooks, the SMTP, POP3 and IMAP
    // listeners; delivery starts before the first connection is served and stops after the last
    const runtime = await ConfigRuntime.start(config, file ? path.dirname(file) : process.cwd(), { stores, directory, log, dataDir, auth, gate }, {
      setLogLevel: opts.log ? undefined : (level) => (log.level = level),
      beforeDeliveryStart: (d) => gateDelivery(dataDir, d),
    });
    opened.push(() => runtime.close());
    serving = () => runtime.config;
    const { tls, smtp } = runtime.generation;
    const delivery = runtime.delivery;
    const http = await startHttp({ config, tls, log, routes: runtime.routes });
    opened.push(() => http.close());
    if (repoStart) {
      // with PostgreSQL, commits applied here are published and other nodes' applied here
      const configSync = config.store.kind === 'postgres' && config.node.shareConfig
        ? new ClusterConfigSync({ url: config.store.url, node: config.node.name, dataDir, repo: repoStart.repo, log })
        : undefined;
      opened.push(await startConfigService({
        repo: repoStart.repo, dataDir, stores, http, log, running: () => runtime.config, apply: (next, o) => runtime.apply(next, o), auth, cluster: configSync,
      }));
      if (configSync) opened.push(await configSync.start());
    }
    // CF-2: this node's record in the cluster registry; CL-2/TX-7: delivery follows the virtual IP
    opened.push(await startCluster({ config, dataDir, log, delivery, listeners: smtp.listeners }));
    log.info('ready');
    return {
      get config() { return runtime.config; },
      configFile: file,
      dataDir,
      get smtp() { return runtime.generation.smtp; },
      get pop3() { return runtime.generation.pop3; },
      get imap() { return runtime.generation.imap; },
      http,
      get delivery() { return runtime.delivery; },
      apply: (next, applyOpts) => runtime.apply(next, applyOpts),
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
