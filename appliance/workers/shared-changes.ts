/**
 * Mailbox change notifications across the workers of a node on the embedded store: a change
 * committed in one worker wakes IMAP IDLE in all of them. Published locally as before, and
 * broadcast through the supervisor; a notification carries no data (core/store/notifications.ts),
 * so a lost one costs a re-read at the client's next command, never correctness.
 */
import { LocalChangeNotifier, type ChangeNotifier, type MailboxChange } from '../../core/store/notifications.ts';
import type { WorkerBus } from './worker-bus.ts';

export class WorkerChangeNotifier implements ChangeNotifier {
  private readonly local = new LocalChangeNotifier();

  constructor(private readonly bus: WorkerBus) {
    bus.on('change', (c) => this.local.publish({ accountId: c.accountId, mailboxId: c.mailboxId }));
  }

  publish(change: MailboxChange): void {
    this.local.publish(change);
    this.bus.broadcast('change', { accountId: change.accountId, mailboxId: change.mailboxId });
  }

  subscribe(accountId: number, listener: (change: MailboxChange) => void): () => void {
    return this.local.subscribe(accountId, listener);
  }
}
