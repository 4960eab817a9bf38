/**
 * The appliance's metrics in one prom-client Registry per process, behind the metrics port
 * (core/metrics.ts). Each worker counts its own; a scrape merges every worker's registry
 * (cluster.ts). Label values are bounded: protocols, stages and reasons are names from the
 * code; delivery destinations are capped (`metrics.maxDestinations`, the rest is "other").
 *
 * Children for a label set are cached, so a count on the hot path is a Map lookup and an
 * addition (no label hashing, no allocation).
 */
import client from 'prom-client';
import type { MetricsPort } from '../../core/metrics.ts';

/** What a scrape of this process asks outside the registry (the lead's queue). */
export type QueueDepth = Record<string, number>;

const PREFIX = 'mailserver_';

export class ApplianceMetrics implements MetricsPort {
  readonly registry = new client.Registry();
  private maxDestinations = 100;
  private readonly destinations = new Set<string>();
  private queueDepth: (() => Promise<QueueDepth>) | null = null;

  private readonly sessionsOpen = new client.Gauge({ name: `${PREFIX}sessions`, help: 'Open sessions per protocol', labelNames: ['protocol'], registers: [this.registry] });
  private readonly sessionsTotal = new client.Counter({ name: `${PREFIX}sessions_total`, help: 'Sessions admitted per protocol', labelNames: ['protocol'], registers: [this.registry] });
  private readonly refusedConnections = new client.Counter({ name: `${PREFIX}connections_refused_total`, help: 'Connections turned away before a session began (per-ip limit, fds reserve)', labelNames: ['protocol', 'reason'], registers: [this.registry] });
  private readonly accepted = new client.Counter({ name: `${PREFIX}messages_accepted_total`, help: 'Messages accepted over SMTP (250 after DATA)', registers: [this.registry] });
  private readonly receivedBytes = new client.Counter({ name: `${PREFIX}received_bytes_total`, help: 'Bytes of the messages accepted over SMTP (as stored)', registers: [this.registry] });
  private readonly refused = new client.Counter({ name: `${PREFIX}messages_refused_total`, help: 'SMTP MAIL, RCPT and DATA commands refused, by stage and reason', labelNames: ['stage', 'reason'], registers: [this.registry] });
  private readonly auth = new client.Counter({ name: `${PREFIX}auth_attempts_total`, help: 'Credential checks by protocol and result (failed = wrong credentials)', labelNames: ['protocol', 'result'], registers: [this.registry] });
  private readonly hooks = new client.Histogram({
    name: `${PREFIX}hook_duration_seconds`, help: 'Time one plugin hook handler ran', labelNames: ['plugin', 'hook'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers: [this.registry],
  });
  private readonly delivery = new client.Counter({ name: `${PREFIX}delivery_attempts_total`, help: 'Delivery attempts per recipient, by result and destination (domain, gateway or local)', labelNames: ['result', 'destination'], registers: [this.registry] });
  private readonly bounceCount = new client.Counter({ name: `${PREFIX}bounces_total`, help: 'Delivery status notifications (bounces) queued', registers: [this.registry] });
  private readonly commits = new client.Histogram({
    name: `${PREFIX}store_commit_duration_seconds`, help: 'Time one store transaction (a group commit) took, including its fsync',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1], registers: [this.registry],
  });
  private readonly commitWrites = new client.Counter({ name: `${PREFIX}store_commit_writes_total`, help: 'Writes carried by the store transactions', registers: [this.registry] });
  private readonly applies = new client.Counter({ name: `${PREFIX}config_applies_total`, help: 'Live config applies, by result', labelNames: ['result'], registers: [this.registry] });

  private readonly children = new Map<string, { inc(n?: number): void; dec?(n?: number): void; observe?(v: number): void }>();

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    const self = this;
    new client.Gauge({
      name: `${PREFIX}queue_recipients`, help: 'Queued recipients by state (pending: waiting for a first try; deferred: waiting for a retry; active: being delivered)',
      labelNames: ['state'], registers: [this.registry],
      collect: async function (this: client.Gauge) {
        // (prom-client calls collect with the gauge as `this`)
        this.reset();
        const depth = await self.queueDepth?.();
        for (const [state, n] of Object.entries(depth ?? {})) this.set({ state }, n);
      },
    });
  }

  /** Settings from the config (`metrics`). */
  configure(o: { maxDestinations: number }): void {
    this.maxDestinations = o.maxDestinations;
  }

  /** The lead reports the queue (the store is shared: one process counts it). */
  reportQueue(depth: (() => Promise<QueueDepth>) | null): void {
    this.queueDepth = depth;
  }

  private child<T>(key: string, make: () => T): T {
    let c = this.children.get(key);
    if (!c) this.children.set(key, (c = make() as never));
    return c as T;
  }

  sessionOpened(protocol: string): void {
    this.child(`s\0${protocol}`, () => this.sessionsOpen.labels(protocol)).inc();
    this.child(`st\0${protocol}`, () => this.sessionsTotal.labels(protocol)).inc();
  }

  sessionClosed(protocol: string): void {
    this.child<{ dec(): void }>(`s\0${protocol}`, () => this.sessionsOpen.labels(protocol)).dec();
  }

  connectionRefused(protocol: string, reason: string): void {
    this.child(`cr\0${protocol}\0${reason}`, () => this.refusedConnections.labels(protocol, reason)).inc();
  }

  messageAccepted(bytes: number): void {
    this.accepted.inc();
    this.receivedBytes.inc(bytes);
  }

  messageRefused(stage: 'mail' | 'rcpt' | 'data', reason: string): void {
    this.child(`r\0${stage}\0${reason}`, () => this.refused.labels(stage, reason)).inc();
  }

  authAttempt(protocol: string, result: 'ok' | 'failed' | 'busy'): void {
    this.child(`a\0${protocol}\0${result}`, () => this.auth.labels(protocol, result)).inc();
  }

  hookRun(plugin: string, hook: string, seconds: number): void {
    this.child<{ observe(v: number): void }>(`h\0${plugin}\0${hook}`, () => this.hooks.labels(plugin, hook)).observe(seconds);
  }

  deliveryAttempt(result: 'sent' | 'deferred' | 'failed', destination: string): void {
    let d = destination.toLowerCase();
    if (!this.destinations.has(d)) {
      if (this.destinations.size < this.maxDestinations) this.destinations.add(d);
      else d = 'other';
    }
    this.child(`d\0${result}\0${d}`, () => this.delivery.labels(result, d)).inc();
  }

  bounces(n: number): void {
    if (n > 0) this.bounceCount.inc(n);
  }

  storeCommit(seconds: number, writes: number): void {
    this.commits.observe(seconds);
    this.commitWrites.inc(writes);
  }

  configApply(result: 'applied' | 'refused'): void {
    this.child(`c\0${result}`, () => this.applies.labels(result)).inc();
  }
}
