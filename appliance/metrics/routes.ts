/**
 * The monitoring routes on the HTTP listener (served by the lead):
 *   /metrics      Prometheus text format, every worker's numbers merged (scrape.ts); metrics.allow / metrics.token
 *   /status.json  this node, its workers, the cluster's nodes, readiness; metrics.allow / metrics.token
 *   /healthz      200 while the process serves HTTP (liveness); open
 *   /readyz       200 when the store answers, every listener is bound, the config is applied and
 *                 every worker serves; else 503 with a JSON body naming what is not ready; open
 */
import type http from 'node:http';
import type { AppConfig } from '../../core/config/schema.ts';
import type { Logger } from '../../core/log.ts';
import type { Stores } from '../../core/store/ports.ts';
import type { HttpRoutes } from '../http/routes.ts';
import type { Generation } from '../runtime/generation.ts';
import { readWorkersStatus, type WorkersStatus } from '../workers/status-file.ts';
import type { WorkerContext } from '../workers/worker-context.ts';
import { buildVersion, configVersion } from '../cluster/build-info.ts';
import { openNodeRegistry } from '../cluster/node.ts';
import type { NodeRecord, NodeRegistry } from '../cluster/registry.ts';
import { checkAccess, refuse } from './access.ts';
import { metrics } from './index.ts';
import { Scraper } from './scrape.ts';

export interface MonitoringDeps {
  http: HttpRoutes;
  /** The serving config and generation (read at each request: live applies change them). */
  config: () => AppConfig;
  generation: () => Generation;
  stores: Stores;
  dataDir: string;
  worker?: WorkerContext;
  log: Logger;
}

/** A store that does not answer within this is not ready. */
const STORE_CHECK_MS = 2000;

interface Check {
  ok: boolean;
  detail?: string;
}

function send(res: http.ServerResponse, status: number, type: string, body: string, head = false): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(head ? undefined : body);
}

function json(res: http.ServerResponse, status: number, value: unknown, head = false): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value, null, 2) + '\n', head);
}

/** Only GET and HEAD, and exactly the path (a prefix route also matches longer paths). */
function exact(req: http.IncomingMessage, res: http.ServerResponse, path: string): boolean {
  const p = (req.url ?? '/').split('?', 1)[0];
  if (p !== path) {
    send(res, 404, 'text/plain; charset=utf-8', `Not found: ${p}\n`);
    return false;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n');
    return false;
  }
  return true;
}

export function registerMonitoringRoutes(d: MonitoringDeps): () => void {
  metrics.configure({ maxDestinations: d.config().metrics.maxDestinations });
  // the store is shared by the node's workers: the lead alone reports the queue
  metrics.reportQueue(() => d.stores.queue.depth());
  const scraper = new Scraper(metrics, d.worker?.bus ?? null, () => d.config().metrics.collectTimeoutMs);
  let registry: NodeRegistry | null = null;

  const allowed = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const access = checkAccess(req, d.config().metrics);
    if (access === 'ok') return true;
    d.log.info({ remote: req.socket.remoteAddress, path: req.url?.split('?', 1)[0], why: access }, 'monitoring route refused');
    refuse(res, access);
    return false;
  };

  const storeCheck = async (): Promise<Check> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        d.stores.domains.get('readyz.invalid'),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${STORE_CHECK_MS} ms`)), STORE_CHECK_MS))),
      ]);
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: `store: ${(err as Error).message}` };
    } finally {
      clearTimeout(timer);
    }
  };

  const listenersCheck = (): Check => {
    const config = d.config();
    const gen = d.generation();
    const missing: string[] = [];
    const services = [['smtp', config.smtp.listen, gen.smtp.listeners], ['pop3', config.pop3.listen, gen.pop3.listeners], ['imap', config.imap.listen, gen.imap.listeners]] as const;
    for (const [name, wanted, bound] of services) {
      for (const spec of wanted) if (!bound.some((l) => l.spec === spec)) missing.push(`${name} ${spec}`);
    }
    return missing.length ? { ok: false, detail: `not bound: ${missing.join(', ')}` } : { ok: true };
  };

  const workersCheck = (status: WorkersStatus | null): Check => {
    if (!d.worker) return { ok: true, detail: 'not supervised (one process)' };
    if (!status) return { ok: false, detail: 'no workers status from the supervisor' };
    const notServing = status.workers.filter((w) => w.state !== 'serving');
    return notServing.length ? { ok: false, detail: `not serving: ${notServing.map((w) => `worker ${w.id} ${w.state}`).join(', ')}` } : { ok: true };
  };

  const readiness = async () => {
    const workers = d.worker ? readWorkersStatus(d.dataDir) : null;
    const gen = d.generation();
    const checks: Record<string, Check> = {
      store: await storeCheck(),
      listeners: listenersCheck(),
      config: gen ? { ok: true, detail: `generation ${gen.number}, ${configVersion(d.dataDir, d.config())}` } : { ok: false, detail: 'no config applied' },
      workers: workersCheck(workers),
    };
    const notReady = Object.entries(checks).filter(([, c]) => !c.ok).map(([name]) => name);
    return { ready: notReady.length === 0, notReady, checks, workers };
  };

  const offs = [
    d.http.route('/healthz', (req, res) => {
      if (!exact(req, res, '/healthz')) return;
      json(res, 200, { status: 'up', pid: process.pid, uptimeSeconds: Math.round(process.uptime()) }, req.method === 'HEAD');
    }),
    d.http.route('/readyz', async (req, res) => {
      if (!exact(req, res, '/readyz')) return;
      const r = await readiness();
      json(res, r.ready ? 200 : 503, { ready: r.ready, notReady: r.notReady, checks: r.checks }, req.method === 'HEAD');
    }),
    d.http.route('/metrics', async (req, res) => {
      if (!exact(req, res, '/metrics') || !allowed(req, res)) return;
      const s = await scraper.scrape();
      if (s.missing.length) d.log.warn({ missing: s.missing }, 'metrics: workers did not answer the scrape in time');
      send(res, 200, s.contentType, s.text, req.method === 'HEAD');
    }),
    d.http.route('/status.json', async (req, res) => {
      if (!exact(req, res, '/status.json') || !allowed(req, res)) return;
      const config = d.config();
      const r = await readiness();
      let nodes: NodeRecord[] | { error: string };
      try {
        registry ??= openNodeRegistry(config, d.dataDir);
        nodes = await registry.list();
      } catch (err) {
        nodes = { error: (err as Error).message };
      }
      json(res, 200, {
        node: config.node.name, hostname: config.hostname, version: buildVersion(), pid: process.pid,
        config: { commit: configVersion(d.dataDir, config), generation: d.generation().number },
        ready: r.ready, notReady: r.notReady, checks: r.checks,
        supervisor: r.workers ? { pid: r.workers.supervisor, startedAt: r.workers.startedAt } : null,
        workers: r.workers?.workers ?? [],
        queue: await d.stores.queue.depth(),
        nodes,
      }, req.method === 'HEAD');
    }),
  ];
  return () => {
    for (const off of offs) off();
    metrics.reportQueue(null);
    void registry?.close();
  };
}
