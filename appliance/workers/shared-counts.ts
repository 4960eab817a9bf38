/**
 * The connection gate's counts across the workers of a node (appliance/net/connection-gate.ts):
 * each worker broadcasts how its counts moved, batched per turn of the event loop, and keeps
 * what every other worker counts, forgetting a worker's counts when it is gone. The sum lags a
 * move in another worker by one IPC hop (well under a millisecond on one host): connections
 * opened at the same instant on two workers can both pass the last free place, never more.
 */
import type { CountMap, CountShare } from '../net/connection-gate.ts';
import type { WorkerBus } from './worker-bus.ts';

export class WorkerCounts implements CountShare {
  /** worker → "map\0key" → count */
  private readonly byWorker = new Map<number, Map<string, number>>();
  private readonly totals = new Map<string, number>();
  private pending = new Map<string, number>();
  private flushing = false;

  constructor(private readonly bus: WorkerBus) {
    bus.on('counts', (data, from) => {
      for (const [map, key, delta] of data.moves) this.add(from, `${map}\0${key}`, delta);
    });
    bus.onGone((worker) => this.forget(worker));
  }

  moved(map: CountMap, key: string, delta: number): void {
    const k = `${map}\0${key}`;
    this.pending.set(k, (this.pending.get(k) ?? 0) + delta);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => this.flush());
  }

  others(map: CountMap, key: string): number {
    return this.totals.get(`${map}\0${key}`) ?? 0;
  }

  private flush(): void {
    this.flushing = false;
    const moves: [string, string, number][] = [];
    for (const [k, delta] of this.pending) {
      if (delta === 0) continue;
      const at = k.indexOf('\0');
      moves.push([k.slice(0, at), k.slice(at + 1), delta]);
    }
    this.pending = new Map();
    if (moves.length) this.bus.broadcast('counts', { moves });
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
