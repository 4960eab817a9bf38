/**
 * A worker's end of the IPC channel to the supervisor (protocol.ts): broadcasts to the other
 * workers, requests the supervisor answers, and the news that a worker is gone.
 */
import type { Broadcasts, MetricsOfWorker, ToSupervisor, ToWorker, Topic } from './protocol.ts';
import { isMessage } from './protocol.ts';

type Handler<K extends Topic> = (data: Broadcasts[K], from: number) => void;

export class WorkerBus {
  private readonly handlers = new Map<Topic, Set<Handler<Topic>>>();
  private readonly goneHandlers = new Set<(worker: number) => void>();
  private readonly pending = new Map<number, (ok: boolean) => void>();
  private readonly scrapes = new Map<number, (r: { workers: MetricsOfWorker[]; missing: number[] }) => void>();
  private metricsSource: (() => Promise<unknown>) | null = null;
  private nextReq = 1;

  constructor(private readonly channel: Pick<NodeJS.Process, 'send' | 'on' | 'off'> = process) {
    channel.on('message', this.onMessage);
  }

  private readonly onMessage = (m: unknown): void => {
    if (!isMessage(m)) return;
    const msg = m as ToWorker;
    if (msg.t === 'broadcast') {
      for (const h of this.handlers.get(msg.topic) ?? []) h(msg.data as never, msg.from);
    } else if (msg.t === 'lock-reply') {
      const done = this.pending.get(msg.req);
      this.pending.delete(msg.req);
      done?.(msg.ok);
    } else if (msg.t === 'gone') {
      for (const h of this.goneHandlers) h(msg.worker);
    } else if (msg.t === 'metrics-collect') {
      const source = this.metricsSource;
      // a worker without a source answers nothing: the scrape names it missing after the timeout
      if (source) void source().then((metrics) => this.send({ t: 'metrics-data', req: msg.req, metrics }), () => {});
    } else if (msg.t === 'metrics-reply') {
      const done = this.scrapes.get(msg.req);
      this.scrapes.delete(msg.req);
      done?.({ workers: msg.workers, missing: msg.missing });
    }
  };

  send(msg: ToSupervisor): void {
    // the supervisor is gone: the cluster module ends this worker on the disconnect
    if (process.connected !== false) this.channel.send?.(msg);
  }

  broadcast<K extends Topic>(topic: K, data: Broadcasts[K]): void {
    this.send({ t: 'broadcast', topic, data });
  }

  on<K extends Topic>(topic: K, handler: Handler<K>): () => void {
    let set = this.handlers.get(topic);
    if (!set) this.handlers.set(topic, (set = new Set()));
    set.add(handler as Handler<Topic>);
    return () => set.delete(handler as Handler<Topic>);
  }

  onGone(handler: (worker: number) => void): () => void {
    this.goneHandlers.add(handler);
    return () => this.goneHandlers.delete(handler);
  }

  /** A lock in the supervisor's table: held until unlocked or this worker is gone. */
  lock(key: string, op: 'try' | 'unlock'): Promise<boolean> {
    const req = this.nextReq++;
    return new Promise((resolve) => {
      this.pending.set(req, resolve);
      this.send({ t: 'lock', req, key, op });
    });
  }

  /** What this worker answers when the supervisor collects metrics. */
  serveMetrics(source: () => Promise<unknown>): void {
    this.metricsSource = source;
  }

  /** Every worker's metrics, through the supervisor (the lead, for a scrape); within timeoutMs (plus the relay). */
  collectMetrics(timeoutMs: number): Promise<{ workers: MetricsOfWorker[]; missing: number[] }> {
    const req = this.nextReq++;
    return new Promise((resolve) => {
      this.scrapes.set(req, resolve);
      this.send({ t: 'metrics', req, timeoutMs });
    });
  }

  close(): void {
    this.channel.off('message', this.onMessage);
    for (const done of this.pending.values()) done(false);
    this.pending.clear();
    for (const done of this.scrapes.values()) done({ workers: [], missing: [] });
    this.scrapes.clear();
  }
}
