/**
 * LG-1: the SMTP receive log, `<data>/logs/<node>/smtp-receive.log` — one tab-separated line per
 * message accepted and per MAIL, RCPT or DATA refused, each starting with its ISO time:
 *
 *     time  client-ip  session  accepted  message-id  <sender>  recipients  bytes
 *     time  client-ip  session  refused   mail|rcpt|data  <address>  code  enhanced  text
 *
 * Every worker appends to the node's one file (each line is one write on an O_APPEND file, so
 * lines of several processes do not mix). `mailserver logs` and the console read it; the
 * dashboard's activity chart and recent refusals are counted from it (operations/activity.ts).
 */
import path from 'node:path';
import { AppendLog, nodeLogDir, type Logger } from '../../core/log.ts';

export const RECEIVE_LOG = 'smtp-receive.log';

export interface ReceiveEvent {
  remoteAddress: string;
  session: string;
}

/** Tabs and line breaks inside a field would break the one-line-per-event format. */
const clean = (v: string | number) => String(v).replace(/[\t\r\n]+/g, ' ').slice(0, 1000);

export class ReceiveLog {
  private readonly out: AppendLog;

  constructor(dataDir: string, node: string, log: Logger) {
    this.out = new AppendLog(path.join(nodeLogDir(dataDir, node), RECEIVE_LOG), log, 'SMTP receive log');
  }

  private write(fields: (string | number)[]): void {
    this.out.write(`${new Date().toISOString()}\t${fields.map(clean).join('\t')}\n`);
  }

  accepted(e: ReceiveEvent, id: string, from: string, recipients: number, bytes: number): void {
    this.write([e.remoteAddress, e.session, 'accepted', id, `<${from}>`, recipients, bytes]);
  }

  refused(e: ReceiveEvent, stage: 'mail' | 'rcpt' | 'data', address: string, reply: { code: number; enhanced?: string; message: string }): void {
    this.write([e.remoteAddress, e.session, 'refused', stage, `<${address}>`, reply.code, reply.enhanced ?? '-', reply.message]);
  }

  close(): Promise<void> {
    return this.out.close();
  }
}
