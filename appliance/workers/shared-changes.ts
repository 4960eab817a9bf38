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
  /** This turn's changes not told yet: "accountId:mailboxId" → change. */
  private pending = new Map<string, { accountId: number; mailboxId: number }>();

  constructor(private readonly bus: WorkerBus) {
    bus.on('change', ({ changes }) => {
      for (const c of changes) this.local.publish({ accountId: c.accountId, mailboxId: c.mailboxId });
    });
  }

  publish(change: MailboxChange): void {
    this.local.publish(change);
    if (!this.pending.size) this.bus.broadcastAtFlush('change', () => this.take());
    this.pending.set(`${change.accountId}:${change.mailboxId}`, { accountId: change.accountId, mailboxId: change.mailboxId });
  }

  private take(): { changes: { accountId: number; mailboxId: number }[] } {
    const changes = [...this.pending.values()];
    this.pending = new Map();
    return { changes };
  }

  subscribe(accountId: number, listener: (change: MailboxChange) => void): () => void {
    return this.local.subscribe(accountId, listener);
  }
}
