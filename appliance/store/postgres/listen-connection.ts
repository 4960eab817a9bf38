/**
 * One dedicated PostgreSQL connection that LISTENs on some channels and reconnects by itself
 * (backoff from 100 ms, doubling up to `maxRetryMs`). Notifications sent while it was down are
 * lost, so `onConnect` tells the owner whether this is a reconnect: it catches up by re-reading.
 * Used by the store's change notifier and by the cluster's config sync.
 */
import pg from 'pg';

export interface ListenOptions {
  url: string;
  channels: string[];
  applicationName: string;
  maxRetryMs: number;
  connectionTimeoutMillis?: number;
  /** The retry timer does not keep the process alive. */
  unrefTimer?: boolean;
}

export interface ListenHandlers {
  onNotification(channel: string, payload: string): void;
  /** After every LISTEN in place; `reconnect` is false only for the first attempt. */
  onConnect(reconnect: boolean): void;
  /** The connection failed or was lost (not called once closed); a retry is scheduled. */
  onLost(err?: Error): void;
}

export class ListenConnection {
  private client: pg.Client | null = null;
  private closed = false;
  private retryMs = 100;
  private timer: NodeJS.Timeout | null = null;
  private attempts = 0;

  constructor(private readonly o: ListenOptions, private readonly handlers: ListenHandlers) {}

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const reconnect = this.attempts++ > 0;
    const client = new pg.Client({
      connectionString: this.o.url, keepAlive: true, application_name: this.o.applicationName,
      ...(this.o.connectionTimeoutMillis ? { connectionTimeoutMillis: this.o.connectionTimeoutMillis } : {}),
    });
    let failed = false;
    const lost = (err?: Error) => {
      if (failed) return;
      failed = true;
      if (this.client === client) this.client = null;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.handlers.onLost(err);
      this.schedule();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (n) => this.handlers.onNotification(n.channel, n.payload ?? ''));
    try {
      await client.connect();
      await client.query(this.o.channels.map((c) => `LISTEN ${c}`).join('; '));
    } catch (err) {
      lost(err as Error);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = 100;
    this.handlers.onConnect(reconnect);
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.retryMs);
    if (this.o.unrefTimer) this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, this.o.maxRetryMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
    }
  }
}
