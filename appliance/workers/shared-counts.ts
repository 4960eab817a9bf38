/**
 * The connection gate's counts across the workers of a node (appliance/net/connection-gate.ts):
 * each worker tells the others every move of its counts at once, and keeps what every other
 * worker counts, forgetting a worker's counts when it is gone.
 *
 * A move is sent before the reply that ends the session is written (SMTP releases its place at
 * QUIT), and the supervisor hands new connections to a worker over the same ordered channel it
 * relays the moves on: a client that reconnects after 221 finds its old place free wherever it
 * lands. Connections opened at the same instant on two workers can both take the last free
 * place (one IPC hop apart), never more than that.
 */
import type { CountMap, CountShare } from '../net/connection-gate.ts';
import type { WorkerBus } from './worker-bus.ts';

export class WorkerCounts implements CountShare {
  /** worker → "map\0key" → count */
  private readonly byWorker = new Map<number, Map<string, number>>();
  private readonly totals = new Map<string, number>();

  constructor(private readonly bus: WorkerBus) {
    bus.on('counts', ({ map, key, delta }, from) => this.add(from, `${map}\0${key}`, delta));
    bus.onGone((worker) => this.forget(worker));
  }

  moved(map: CountMap, key: string, delta: number): void {
    this.bus.broadcast('counts', { map, key, delta });
  }

  others(map: CountMap, key: string): number {
    return this.totals.get(`${map}\0${key}`) ?? 0;
  }

  private add(worker: number, k: string, delta: number): void {
    let counts = this.byWorker.get(worker);
    if (!counts) this.byWorker.set(worker, (counts = new Map()));
    bump(counts, k, delta);
    bump(this.totals, k, delta);
  }

  private forget(worker: number): void {
    const counts = this.byWorker.get(worker);
    if (!counts) return;
    this.byWorker.delete(worker);
    for (const [k, n] of counts) bump(this.totals, k, -n);
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n !== 0) map.set(key, n);
  else map.delete(key);
}
