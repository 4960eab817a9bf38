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
import type { Connection } from '../../core/session.ts';

export const RECEIVE_LOG = 'smtp-receive.log';

/** The session a line is about: its client and its id. */
export type ReceiveEvent = Pick<Connection, 'remoteAddress' | 'id'>;

export class ReceiveLog {
  private readonly out: AppendLog;

  /** `maxField`: a field longer than this (a plugin's reply text) is cut (`smtp.receiveLogFieldMax`). */
  constructor(dataDir: string, node: string, log: Logger, private readonly maxField = 1000) {
    this.out = new AppendLog(path.join(nodeLogDir(dataDir, node), RECEIVE_LOG), log, 'SMTP receive log');
  }

  accepted(conn: ReceiveEvent, id: string, from: string, recipients: number, bytes: number): void {
    this.out.record([conn.remoteAddress, conn.id, 'accepted', id, `<${from}>`, recipients, bytes], this.maxField);
  }

  refused(conn: ReceiveEvent, stage: 'mail' | 'rcpt' | 'data', address: string, reply: { code: number; enhanced?: string; message: string }): void {
    this.out.record([conn.remoteAddress, conn.id, 'refused', stage, `<${address}>`, reply.code, reply.enhanced ?? '-', reply.message], this.maxField);
  }

  close(): Promise<void> {
    return this.out.close();
  }
}
