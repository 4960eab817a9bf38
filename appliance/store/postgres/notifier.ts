/**
 * Change notifications across nodes with PostgreSQL LISTEN/NOTIFY. Writers send NOTIFY inside
 * their transaction (PostgreSQL delivers it at COMMIT, never before, and never for a rollback);
 * one dedicated connection per store LISTENs and reconnects by itself (listen-connection.ts).
 * Local subscribers also hear of this store's own commits directly, without the round trip; the
 * echo from LISTEN is dropped by the sender id in the payload. After a reconnect every subscribed account gets a
 * change for each of its mailboxes, since notifications sent meanwhile are lost (a listener
 * re-reads the mailbox: a spurious notification costs a query, never correctness).
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ChangeNotifier, MailboxChange } from '../../../core/store/notifications.ts';
import type { PgDb, Sql } from './database.ts';
import { ListenConnection } from './listen-connection.ts';

export const MAILBOX_CHANNEL = 'mailserver_mailbox';
export const QUEUE_CHANNEL = 'mailserver_queue';

export class PgNotifier implements ChangeNotifier {
  /** Identifies this store instance in payloads (two stores in one process are two nodes). */
  readonly sender = crypto.randomBytes(6).toString('hex');
  private readonly emitter = new EventEmitter();
  private readonly queueListeners = new Set<() => void>();
  private readonly listen: ListenConnection;
  /** Resolves once the first LISTEN is in place. */
  readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(private readonly db: PgDb, private readonly log?: (msg: string, err?: unknown) => void) {
    this.emitter.setMaxListeners(0);
    this.ready = new Promise((r) => (this.markReady = r));
    this.listen = new ListenConnection(
      { url: db.url, channels: [MAILBOX_CHANNEL, QUEUE_CHANNEL], applicationName: 'mailserver-listen', maxRetryMs: 2000 },
      {
        onNotification: (channel, payload) => this.onNotification(channel, payload),
        onConnect: (reconnect) => {
          this.markReady();
          if (reconnect) void this.resync();
        },
        onLost: (err) => this.log?.('PostgreSQL LISTEN connection lost; reconnecting', err),
      },
    );
    this.listen.start();
  }

  /** Wakes everything: notifications sent while the connection was down are lost. */
  private async resync(): Promise<void> {
    for (const l of this.queueListeners) l();
    const accounts = this.emitter.eventNames().map(Number).filter((n) => Number.isFinite(n));
    if (!accounts.length) return;
    try {
      const rows = await this.db.q<{ id: number; account_id: number }>('SELECT id, account_id FROM mailboxes WHERE account_id = ANY($1)', [accounts]);
      for (const r of rows) this.emitLocal({ accountId: r.account_id, mailboxId: r.id });
    } catch (err) {
      this.log?.('resync after reconnect failed', err);
    }
  }

  private onNotification(channel: string, payload: string): void {
    const [sender, account, mailbox] = payload.split(':');
    if (sender === this.sender) return;
    if (channel === QUEUE_CHANNEL) for (const l of this.queueListeners) l();
    else if (channel === MAILBOX_CHANNEL) this.emitLocal({ accountId: Number(account), mailboxId: Number(mailbox) });
  }

  private emitLocal(change: MailboxChange): void {
    setImmediate(() => this.emitter.emit(String(change.accountId), change));
  }

  /** Inside a transaction: other nodes hear of the change at COMMIT. */
  async notifyMailbox(c: Sql, change: MailboxChange): Promise<void> {
    await c.query('SELECT pg_notify($1, $2)', [MAILBOX_CHANNEL, `${this.sender}:${change.accountId}:${change.mailboxId}`]);
  }

  /** Inside a transaction: other nodes' delivery services wake at COMMIT. */
  async notifyQueue(c: Sql): Promise<void> {
    await c.query('SELECT pg_notify($1, $2)', [QUEUE_CHANNEL, `${this.sender}:`]);
  }

  /** After this store's own commit: local subscribers (the other nodes heard the NOTIFY). */
  publish(change: MailboxChange): void {
    this.emitLocal(change);
  }

  queueChanged(): void {
    for (const l of this.queueListeners) l();
  }

  subscribe(accountId: number, listener: (change: MailboxChange) => void): () => void {
    const key = String(accountId);
    this.emitter.on(key, listener);
    return () => this.emitter.off(key, listener);
  }

  onQueue(listener: () => void): () => void {
    this.queueListeners.add(listener);
    return () => this.queueListeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.listen.close();
  }
}
