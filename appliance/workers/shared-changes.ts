/**
 * Mailbox change notifications across the workers of a node on the embedded store: a change
 * committed in one worker wakes IMAP IDLE in all of them. Published locally as before, and
 * broadcast through the supervisor; a notification carries no data (core/store/notifications.ts),
 * so a lost one costs a re-read at the client's next command, never correctness. The changes of
 * an event-loop turn are told once each, in the turn's bus message (worker-bus.ts).
 */
import { LocalChangeNotifier, type ChangeNotifier, type MailboxChange } from '../../core/store/notifications.ts';
import type { WorkerBus } from './worker-bus.ts';

export class WorkerChangeNotifier implements ChangeNotifier {
  private readonly local = new LocalChangeNotifier();
  /** This turn's changes not told yet: "accountId:mailboxId" → change (its latest MODSEQ). */
  private pending = new Map<string, MailboxChange>();
  /** This worker's listeners per account. */
  private readonly listeners = new Map<number, number>();
  /** The accounts the other workers were last told this worker listens to. */
  private readonly told = new Set<number>();
  private listeningQueued = false;
  /** The accounts each other worker listens to. */
  private readonly others = new Map<number, Set<number>>();

  constructor(private readonly bus: WorkerBus) {
    bus.on('change', ({ changes }) => {
      for (const c of changes) this.local.publish({ accountId: c.accountId, mailboxId: c.mailboxId, modseq: c.modseq });
    });
    bus.on('listening', ({ on, off }, from) => {
      let set = this.others.get(from);
      if (!set) this.others.set(from, (set = new Set()));
      for (const a of on) set.add(a);
      for (const a of off) set.delete(a);
    });
    // the whole set, taken when the message goes: after any move queued before it in the turn
    bus.on('listeningQuery', () => bus.broadcastAtFlush('listening', () => ({ on: [...this.told], off: [] })));
    bus.onGone((worker) => this.others.delete(worker));
    bus.broadcast('listeningQuery', {});
  }

  publish(change: MailboxChange): void {
    this.local.publish(change);
    if (!this.listenedElsewhere(change.accountId)) return;
    if (!this.pending.size) this.bus.broadcastAtFlush('change', () => this.take());
    const key = `${change.accountId}:${change.mailboxId}`;
    const before = this.pending.get(key);
    // one item a turn per mailbox, with the highest MODSEQ told; a change without one leaves it out
    const modseq = !before ? change.modseq
      : before.modseq === undefined || change.modseq === undefined ? undefined : Math.max(before.modseq, change.modseq);
    this.pending.set(key, { accountId: change.accountId, mailboxId: change.mailboxId, modseq });
  }

  subscribe(accountId: number, listener: (change: MailboxChange) => void): () => void {
    const unsubscribe = this.local.subscribe(accountId, listener);
    this.move(accountId, 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      unsubscribe();
      this.move(accountId, -1);
    };
  }

  private listenedElsewhere(accountId: number): boolean {
    for (const accounts of this.others.values()) if (accounts.has(accountId)) return true;
    return false;
  }

  private take(): { changes: MailboxChange[] } {
    const changes = [...this.pending.values()];
    this.pending = new Map();
    return { changes };
  }

  private move(accountId: number, by: number): void {
    const n = (this.listeners.get(accountId) ?? 0) + by;
    if (n > 0) this.listeners.set(accountId, n);
    else this.listeners.delete(accountId);
    if (this.listeningQueued) return;
    this.listeningQueued = true;
    this.bus.broadcastAtFlush('listening', () => this.takeListening());
  }

  /** What moved since the last message: a session that came and went within a turn is never told. */
  private takeListening(): { on: number[]; off: number[] } | null {
    this.listeningQueued = false;
    const on: number[] = [];
    const off: number[] = [];
    for (const a of this.listeners.keys()) if (!this.told.has(a)) on.push(a);
    for (const a of this.told) if (!this.listeners.has(a)) off.push(a);
    for (const a of on) this.told.add(a);
    for (const a of off) this.told.delete(a);
    return on.length || off.length ? { on, off } : null;
  }
}
