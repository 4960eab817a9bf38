/**
 * Starts the appliance: config, data directory, store, TLS, plugins (appliance and Haraka),
 * then the listeners, as a pipeline of steps (appliance/start/). Returns a handle that stops
 * everything in order.
 */
import type { AppConfig } from '../core/config/schema.ts';
import type { Logger } from '../core/log.ts';
import type { DeliveryService } from './delivery/service.ts';
import { gateDelivery } from './cluster/start-cluster.ts';
import type { SmtpService } from './smtp/server.ts';
import type { Pop3Service } from './pop3/index.ts';
import type { ImapService } from './imap/index.ts';
import { startHttp, type HttpService } from './http/server.ts';
import { ConfigRuntime } from './runtime/runtime.ts';
import type { ApplyOptions, ApplyResult } from './runtime/types.ts';
import { resolveConfigSource, type ConfigSource } from './start/config-source.ts';
import { recordApply } from './config-repo/apply-journal.ts';
import { loadStartConfig, type LoadedConfig } from './start/load-config.ts';
import { openStartStore, type OpenedStore } from './start/open-store.ts';
import { attachServices } from './start/attach-services.ts';
import { Closers } from './start/closers.ts';
import type { WorkerContext } from './workers/worker-context.ts';
import { followTheLead, leadTellsWorkers } from './workers/attach-worker.ts';
import { attachMonitoring } from './start/attach-monitoring.ts';

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
  /** This process is one of a node's workers (appliance/workers/): what it shares with the others. */
  worker?: WorkerContext;
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

/**
 * The start-up, one step after the other, each with one input and one output:
 * where the config comes from → load and check it → open the store → build the first generation
 * (TLS, plugins, hooks, SMTP/POP3/IMAP listeners, delivery) → listen on HTTP → attach the services
 * (config service, cluster config sync, cluster registration).
 */
export async function startAppliance(opts: StartOptions = {}): Promise<Appliance> {
  const source = await resolveConfigSource(opts);
  const loaded = await loadStartConfig(source, opts.log).catch((err: unknown) => {
    refusedAtStart(source, err);
    throw err;
  });
  const opened = new Closers();
  try {
    const store = await openStartStore(loaded, opened);
    const runtime = await buildFirstGeneration(loaded, store, opened);
    const worker = loaded.source.worker;
    // HTTP (config pushes, the console) and the node's services run in the lead alone
    const lead = !worker || worker.lead;
    const httpConfig = lead ? loaded.config : { ...loaded.config, http: { ...loaded.config.http, listen: [] } };
    const http = await startHttp({ config: httpConfig, tls: runtime.generation.tls, log: loaded.log, routes: runtime.routes });
    opened.push(() => http.close());
    if (lead) await attachServices({ loaded, shared: store.shared, runtime, http }, opened);
    attachMonitoring({ loaded, shared: store.shared, runtime, http, lead }, opened);
    if (worker) opened.push(worker.lead ? leadTellsWorkers(worker, runtime) : followTheLead(worker, runtime, loaded.log));
    loaded.log.info('ready');
    return applianceHandle(loaded, runtime, http, opened);
  } catch (err) {
    await opened.closeAll();
    refusedAtStart(source, err);
    throw err;
  }
}

/** The repository's HEAD did not come up: `config log` shows it refused, `config rollback` skips it. */
function refusedAtStart(source: ConfigSource, err: unknown): void {
  if (!source.repository) return;
  try {
    recordApply(source.dataDir, { commit: source.repository.head, result: 'refused', label: 'start', errors: [err instanceof Error ? err.message : String(err)] });
  } catch {
    /* the start's own error is the one to report */
  }
}

/** Step 4: the first config generation; delivery starts before the first connection is served and stops after the last. */
async function buildFirstGeneration(loaded: LoadedConfig, store: OpenedStore, opened: Closers): Promise<ConfigRuntime> {
  const { log } = loaded;
  const runtime = await ConfigRuntime.start(loaded.config, loaded.configDir, store.shared, {
    setLogLevel: loaded.ownLogger ? (level) => (log.level = level) : undefined,
    beforeDeliveryStart: (d) => gateDelivery(store.shared.dataDir, d),
  });
  opened.push(() => runtime.close());
  store.serveFrom(() => runtime.config);
  return runtime;
}

function applianceHandle(loaded: LoadedConfig, runtime: ConfigRuntime, http: HttpService, opened: Closers): Appliance {
  return {
    get config() { return runtime.config; },
    configFile: loaded.file,
    dataDir: loaded.source.dataDir,
    get smtp() { return runtime.generation.smtp; },
    get pop3() { return runtime.generation.pop3; },
    get imap() { return runtime.generation.imap; },
    http,
    get delivery() { return runtime.delivery; },
    apply: (next, applyOpts) => runtime.apply(next, applyOpts),
    close: () => opened.closeAll(),
  };
}
