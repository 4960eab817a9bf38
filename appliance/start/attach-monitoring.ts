/**
 * Start-up step 7: metrics, health and mail client autoconfiguration. Every worker answers the
 * supervisor's metrics collection; the lead (which serves HTTP) registers the routes.
 */
import type { HttpService } from '../http/server.ts';
import type { ConfigRuntime } from '../runtime/runtime.ts';
import type { SharedParts } from '../runtime/generation.ts';
import { metrics } from '../metrics/index.ts';
import { registerMonitoringRoutes } from '../metrics/routes.ts';
import { serveWorkerMetrics } from '../metrics/scrape.ts';
import { registerAutoconfigRoutes } from '../autoconfig/routes.ts';
import type { LoadedConfig } from './load-config.ts';
import type { Closers } from './closers.ts';

export function attachMonitoring(s: { loaded: LoadedConfig; shared: SharedParts; runtime: ConfigRuntime; http: HttpService; lead: boolean }, opened: Closers): void {
  const worker = s.loaded.source.worker;
  if (worker) serveWorkerMetrics(worker.bus, metrics);
  if (!s.lead) return;
  const config = () => s.runtime.config;
  const generation = () => s.runtime.generation;
  opened.push(registerMonitoringRoutes({
    http: s.http, config, generation, stores: s.shared.stores, dataDir: s.shared.dataDir, worker, log: s.loaded.log.child({ service: 'monitoring' }),
  }));
  const hosted = async (domain: string) => !!(await s.shared.stores.domains.get(domain));
  opened.push(registerAutoconfigRoutes({ http: s.http, config, generation, hosted, log: s.loaded.log.child({ service: 'autoconfig' }) }));
}
