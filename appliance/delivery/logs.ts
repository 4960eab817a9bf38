/**
 * LG-1: the SMTP send log (the client's side of every conversation), the detailed delivery log
 * (one line per recipient and attempt) and the delivery failure log (one line per recipient that
 * bounced), in <data>/logs/<node>/ so that nodes sharing a work folder keep apart. A log that
 * cannot be written is reported once to the appliance's log (the system log) and then skipped.
 */
import path from 'node:path';
import { AppendLog, type Logger } from '../../core/log.ts';

export const LOG_FILES = { send: 'smtp-send.log', delivery: 'delivery.log', failure: 'delivery-failure.log' } as const;
type LogName = keyof typeof LOG_FILES;

export class DeliveryLogs {
  private readonly files = new Map<LogName, AppendLog>();

  constructor(private readonly dir: string | null, private readonly log: Logger) {}

  private write(name: LogName, fields: (string | number | undefined | null)[]): void {
    if (!this.dir) return;
    let out = this.files.get(name);
    if (!out) {
      out = new AppendLog(path.join(this.dir, LOG_FILES[name]), this.log, 'delivery log');
      this.files.set(name, out);
    }
    out.record(fields);
  }

  /** SMTP send log: queue id, peer, one conversation line. */
  send(queueId: string, peer: string, line: string): void {
    this.write('send', [queueId, peer, line]);
  }

  /** Delivery log: queue id, sender, recipient, result (sent/deferred/failed), attempt, detail. */
  delivery(queueId: string, from: string, recipient: string, result: string, attempt: number, detail: string): void {
    this.write('delivery', [queueId, `<${from}>`, `<${recipient}>`, result, attempt, detail]);
  }

  /** Failure log: queue id, sender, recipient, why. */
  failure(queueId: string, from: string, recipient: string, error: string): void {
    this.write('failure', [queueId, `<${from}>`, `<${recipient}>`, error]);
  }

  async close(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => f.close()));
    this.files.clear();
  }
}
