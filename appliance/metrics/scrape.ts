/**
 * One scrape of /metrics: this process's registry alone, or — under a supervisor — every
 * worker's, collected through it (appliance/workers/metrics-collect.ts) and merged with
 * prom-client's AggregatorRegistry.aggregate (counters and gauges summed, process start times
 * omitted, event-loop lag averaged). A worker that does not answer within the timeout is left
 * out and counted in `mailserver_scrape_workers_missing`. Scrapes that arrive while one is being
 * collected share it, so a scraper that hammers the endpoint costs one collection at a time.
 */
import client from 'prom-client';
import type { WorkerBus } from '../workers/worker-bus.ts';
import type { ApplianceMetrics } from './registry.ts';

export interface Scraped {
  contentType: string;
  text: string;
  /** Workers whose metrics are in it, and those that did not answer. */
  workers: number;
  missing: number[];
}

type MetricsJson = Awaited<ReturnType<client.Registry['getMetricsAsJSON']>>;

export class Scraper {
  private inFlight: Promise<Scraped> | null = null;

  constructor(private readonly metrics: ApplianceMetrics, private readonly bus: WorkerBus | null, private readonly timeoutMs: () => number) {}

  scrape(): Promise<Scraped> {
    this.inFlight ??= this.collect().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async collect(): Promise<Scraped> {
    const registry = this.metrics.registry;
    if (!this.bus) return { contentType: registry.contentType, text: await registry.metrics(), workers: 1, missing: [] };
    const timeoutMs = this.timeoutMs();
    // the supervisor answers within the timeout; this one only guards against losing its answer
    const reply = await Promise.race([
      this.bus.collectMetrics(timeoutMs),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs + 1000).unref()),
    ]);
    const workers = reply?.workers ?? [];
    const merged = client.AggregatorRegistry.aggregate(workers.map((w) => w.metrics as MetricsJson));
    const missing = reply?.missing ?? [];
    const text = (await merged.metrics()) + scrapeLines(workers.length, missing.length);
    return { contentType: registry.contentType, text, workers: workers.length, missing };
  }
}

function scrapeLines(answered: number, missing: number): string {
  return [
    '# HELP mailserver_scrape_workers Workers whose metrics are in this scrape',
    '# TYPE mailserver_scrape_workers gauge',
    `mailserver_scrape_workers ${answered}`,
    '# HELP mailserver_scrape_workers_missing Workers that did not answer this scrape within metrics.collectTimeoutMs',
    '# TYPE mailserver_scrape_workers_missing gauge',
    `mailserver_scrape_workers_missing ${missing}`,
    '',
  ].join('\n');
}

/** Every worker (the lead too) answers the supervisor's collection with its own registry. */
export function serveWorkerMetrics(bus: WorkerBus, m: ApplianceMetrics): void {
  bus.serveMetrics(() => m.registry.getMetricsAsJSON());
}
