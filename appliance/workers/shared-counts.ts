/**
 * The connection gate's counts across the workers of a node (appliance/net/connection-gate.ts):
 * each worker tells the others how its counts moved, and keeps what every other worker counts,
 * forgetting a worker's counts when it is gone.
 *
 * The moves of an event-loop turn are summed per key and told in the turn's one bus message
 * (worker-bus.ts): a connection opened and closed within the turn is never told at all.
 * A release that ends a session with a reply (SMTP's 221 to QUIT) waits for `told()` before the
 * reply is written, so the move is on its way to the supervisor before the client can reconnect.
 * Every worker accepts its own connections (supervisor.ts), so the reconnection may land on
 * another worker before that worker has read the move: a worker about to refuse a connection
 * or a login over a limit first waits for `settled()` (the supervisor's sync) and counts again.
 * Connections opened at the same instant on two workers can both take the last free place
 * (one turn and one IPC hop apart), never more than that.
 */
import type { CountMap, CountShare } from '../net/connection-gate.ts';
import type { WorkerBus } from './worker-bus.ts';
import { FreshRun } from '../../core/fresh-run.ts';

export class WorkerCounts implements CountShare {
  /** worker → "map\0key" → count */
  private readonly byWorker = new Map<number, Map<string, number>>();
  private readonly totals = new Map<string, number>();
  /** The supervisor's syncs before a refusal (settled). */
  private readonly syncs: FreshRun;
  /** This turn's moves not told yet: "map\0key" → delta (0: they cancelled out). */
  private pending = new Map<string, number>();

  constructor(private readonly bus: WorkerBus) {
    this.syncs = new FreshRun(() => bus.sync());
    bus.on('counts', ({ moves }, from) => {
      for (const [map, key, delta] of moves) this.add(from, `${map}\0${key}`, delta);
    });
    bus.onGone((worker) => this.forget(worker));
  }

  moved(map: CountMap, key: string, delta: number): void {
    if (!this.pending.size) this.bus.broadcastAtFlush('counts', () => this.take());
    const k = `${map}\0${key}`;
    this.pending.set(k, (this.pending.get(k) ?? 0) + delta);
  }

  told(): Promise<void> {
    return this.bus.flushed();
  }

  /**
   * One sync at a time (FreshRun): refusals that come while one is under way share the next, which
   * starts after it (as they must: the one under way may have been asked before their connection
   * came), so a flood over a limit costs the supervisor at most two syncs at once.
   */
  settled(): Promise<void> {
    return this.syncs.run();
  }

  others(map: CountMap, key: string): number {
    return this.totals.get(`${map}\0${key}`) ?? 0;
  }

  private take(): { moves: [string, string, number][] } | null {
    const moves: [string, string, number][] = [];
    for (const [k, delta] of this.pending) {
      if (!delta) continue;
      const at = k.indexOf('\0');
      moves.push([k.slice(0, at), k.slice(at + 1), delta]);
    }
    this.pending = new Map();
    return moves.length ? { moves } : null;
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
