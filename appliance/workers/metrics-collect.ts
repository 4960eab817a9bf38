/**
 * The supervisor's part of a metrics scrape: the lead asks (`metrics`), the supervisor asks every
 * connected worker (`metrics-collect`, the lead included) and answers the lead (`metrics-reply`)
 * once all have sent theirs or the lead's timeout ran out, naming the workers that did not answer:
 * a hung worker delays a scrape by the timeout at most and never blocks it. The supervisor only
 * relays the JSON; the lead merges it (appliance/metrics/cluster.ts).
 */
import type { MetricsOfWorker } from './protocol.ts';

interface Collection {
  asker: number;
  askerReq: number;
  waiting: Set<number>;
  got: MetricsOfWorker[];
  /** Asked, then exited before answering. */
  lost: number[];
  timer: NodeJS.Timeout;
}

/** At most this many scrapes are collected at once; a further one is answered with nothing. */
const MAX_IN_FLIGHT = 4;
const MAX_TIMEOUT_MS = 60_000;

export class MetricsCollections {
  private readonly open = new Map<number, Collection>();
  private nextReq = 1;

  constructor(
    private readonly ask: (worker: number, req: number) => boolean,
    private readonly answer: (worker: number, askerReq: number, workers: MetricsOfWorker[], missing: number[]) => void,
  ) {}

  /** `asker` (the lead) asks on behalf of a scrape; `workers` are the ids running now. */
  start(asker: number, askerReq: number, timeoutMs: number, workers: number[]): void {
    if (this.open.size >= MAX_IN_FLIGHT) return this.answer(asker, askerReq, [], workers);
    const req = this.nextReq++;
    const c: Collection = {
      asker, askerReq, waiting: new Set(), got: [], lost: [],
      timer: setTimeout(() => this.finish(req), Math.min(Math.max(1, timeoutMs), MAX_TIMEOUT_MS)),
    };
    this.open.set(req, c);
    for (const id of workers) if (this.ask(id, req)) c.waiting.add(id);
    if (!c.waiting.size) this.finish(req);
  }

  /** A worker's answer. */
  data(worker: number, req: number, metrics: unknown): void {
    const c = this.open.get(req);
    if (!c || !c.waiting.delete(worker)) return;
    c.got.push({ id: worker, metrics });
    if (!c.waiting.size) this.finish(req);
  }

  /** A worker exited: no answer is coming from it. */
  gone(worker: number): void {
    for (const [req, c] of this.open) {
      if (!c.waiting.delete(worker)) continue;
      c.lost.push(worker);
      if (!c.waiting.size) this.finish(req);
    }
  }

  private finish(req: number): void {
    const c = this.open.get(req);
    if (!c) return;
    this.open.delete(req);
    clearTimeout(c.timer);
    this.answer(c.asker, c.askerReq, c.got.sort((a, b) => a.id - b.id), [...c.waiting, ...c.lost].sort((a, b) => a - b));
  }

  close(): void {
    for (const req of [...this.open.keys()]) this.finish(req);
  }
}
