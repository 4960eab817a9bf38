/**
 * A worker's end of the IPC channel to the supervisor (protocol.ts): broadcasts to the other
 * workers, requests the supervisor answers, and the news that a worker is gone.
 *
 * The broadcasts of an event-loop turn go in one IPC message, sent at the end of the turn
 * (setImmediate) or before any other message this worker sends, so the order of what a worker
 * says is kept: an IPC message costs a serialisation and a write here, a read and a relay in
 * the supervisor and a read in every other worker, whatever it carries. `flushed()` waits for
 * the message that carries what is queued now (a reply that must follow it, as SMTP's 221).
 */
import type { Broadcasts, MetricsOfWorker, ToSupervisor, ToWorker, Topic } from './protocol.ts';
import { isMessage } from './protocol.ts';

type Handler<K extends Topic> = (data: Broadcasts[K], from: number) => void;

/** A queued broadcast: its data, or what gives it when the message is sent (null: nothing to say any more). */
type Queued = { topic: Topic; data: unknown } | { topic: Topic; take: () => unknown };

export class WorkerBus {
  private readonly handlers = new Map<Topic, Set<Handler<Topic>>>();
  private readonly goneHandlers = new Set<(worker: number) => void>();
  private readonly pending = new Map<number, (ok: boolean) => void>();
  private readonly scrapes = new Map<number, (r: { workers: MetricsOfWorker[]; missing: number[] }) => void>();
  private metricsSource: (() => Promise<unknown>) | null = null;
  private nextReq = 1;
  private queued: Queued[] = [];
  private scheduled = false;
  private waiting: (() => void)[] = [];

  constructor(private readonly channel: Pick<NodeJS.Process, 'send' | 'on' | 'off'> = process) {
    channel.on('message', this.onMessage);
  }

  private readonly onMessage = (m: unknown): void => {
    if (!isMessage(m)) return;
    const msg = m as ToWorker;
    if (msg.t === 'broadcast') {
      for (const item of msg.items) for (const h of this.handlers.get(item.topic) ?? []) h(item.data as never, msg.from);
    } else if (msg.t === 'lock-reply' || msg.t === 'sync-reply') {
      const done = this.pending.get(msg.req);
      this.pending.delete(msg.req);
      done?.(msg.t === 'sync-reply' || msg.ok);
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

  /** Sends a message to the supervisor, after the broadcasts queued before it. */
  send(msg: Exclude<ToSupervisor, { t: 'broadcast' }>): void {
    this.flush();
    this.post(msg);
  }

  private post(msg: ToSupervisor): void {
    // the supervisor is gone: the cluster module ends this worker on the disconnect
    if (process.connected !== false) this.channel.send?.(msg);
  }

  /** Tells the other workers, at the end of this turn. */
  broadcast<K extends Topic>(topic: K, data: Broadcasts[K]): void {
    this.queued.push({ topic, data });
    this.schedule();
  }

  /**
   * Tells the other workers what `take` gives when the turn's message is sent (null: nothing):
   * for a state that moves many times in a turn and is sent once, as it then is.
   */
  broadcastAtFlush<K extends Topic>(topic: K, take: () => Broadcasts[K] | null): void {
    this.queued.push({ topic, take });
    this.schedule();
  }

  /** Resolves once what is queued now is sent (at once when nothing is). */
  flushed(): Promise<void> {
    if (!this.queued.length) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends the queued broadcasts now, in one message. */
  flush(): void {
    this.scheduled = false;
    const queued = this.queued;
    const waiting = this.waiting;
    if (!queued.length) return;
    this.queued = [];
    this.waiting = [];
    const items: { topic: Topic; data: unknown }[] = [];
    for (const q of queued) {
      const data = 'take' in q ? q.take() : q.data;
      if (data !== null) items.push({ topic: q.topic, data });
    }
    if (items.length) this.post({ t: 'broadcast', items });
    for (const done of waiting) done();
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

  /**
   * Resolves once every broadcast the other workers sent before this call (and this worker's own
   * queued ones) is relayed and heard here: the supervisor answers after its current poll phase,
   * and the channel keeps the order of what it relays.
   */
  sync(): Promise<void> {
    if (process.connected === false) return Promise.resolve();
    const req = this.nextReq++;
    return new Promise((resolve) => {
      this.pending.set(req, () => resolve());
      this.send({ t: 'sync', req });
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
    this.flush();
    this.channel.off('message', this.onMessage);
    for (const done of this.pending.values()) done(false);
    this.pending.clear();
    for (const done of this.scrapes.values()) done({ workers: [], missing: [] });
    this.scrapes.clear();
  }
}
