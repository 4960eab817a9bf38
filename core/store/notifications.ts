/**
 * The change-notification port: "something changed in this mailbox" (a delivery, an expunge,
 * a flag change). IMAP sessions use it to wake IDLE and to send EXISTS/EXPUNGE/FETCH without
 * waiting for the client's next command. A notification carries no data: a listener re-reads
 * the mailbox from the store, so a lost or duplicated notification costs a query, never
 * correctness. The embedded store backs it with an in-process EventEmitter; the cluster store
 * will back it with PostgreSQL LISTEN/NOTIFY (one channel, payload "accountId:mailboxId").
 */
import { EventEmitter } from 'node:events';

export interface MailboxChange {
  accountId: number;
  mailboxId: number;
  /**
   * The mailbox's HIGHESTMODSEQ after the change, where the publisher has it at hand. A view
   * that already holds that MODSEQ (an IMAP session's own change, applied in place) need not
   * re-read; without it a listener re-reads as always.
   */
  modseq?: number;
}

export interface ChangeNotifier {
  /** Announces a committed change (call after the commit, never before). */
  publish(change: MailboxChange): void;
  /** Calls `listener` for every change to one account's mailboxes; returns the unsubscribe. */
  subscribe(accountId: number, listener: (change: MailboxChange) => void): () => void;
}

/** In-process notifier for the embedded store (one process owns the database). */
export class LocalChangeNotifier implements ChangeNotifier {
  private readonly emitter = new EventEmitter();
  constructor() {
    // one listener per IMAP session of an account; thousands are normal
    this.emitter.setMaxListeners(0);
  }
  publish(change: MailboxChange): void {
    // listeners run on the next turn, so a publisher inside a commit callback is never re-entered
    setImmediate(() => this.emitter.emit(String(change.accountId), change));
  }
  subscribe(accountId: number, listener: (change: MailboxChange) => void): () => void {
    const key = String(accountId);
    this.emitter.on(key, listener);
    return () => this.emitter.off(key, listener);
  }
}
