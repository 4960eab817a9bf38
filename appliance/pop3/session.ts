/**
 * One POP3 connection: the socket, the line queue and the state. Commands are processed one
 * at a time in arrival order, so a pipelining client (RFC 2449 PIPELINING) gets its replies
 * in order; what it sends while a command runs waits in the queue.
 */
import crypto from 'node:crypto';
import type net from 'node:net';
import type { AuthUser } from '../../core/session.ts';
import { dispatch, type AbuseCounters } from './dispatch.ts';
import { LineReader, type LineEvent } from './line-reader.ts';
import type { Maildrop } from './maildrop.ts';
import { R, verdictReply } from './replies.ts';
import type { Pop3Env, Pop3Session, Pop3State } from './types.ts';
import type { PeerInfo } from '../net/session-listeners.ts';
import { LineSession } from '../net/line-session.ts';
import type { Ticket } from '../net/connection-gate.ts';

export class Session extends LineSession<LineEvent> implements Pop3Session {
  readonly apopTimestamp: string;
  state: Pop3State = 'AUTHORIZATION';
  pendingUser: string | null = null;
  authFailures = 0;
  maildrop: Maildrop | null = null;

  private readonly reader: LineReader;
  private readonly counters: AbuseCounters = { overlongLines: 0, unknownCommands: 0 };
  private releaseLock: (() => void) | null = null;

  constructor(readonly env: Pop3Env, socket: net.Socket, peer: PeerInfo, secure: boolean, ticket?: Ticket) {
    super('pop3', env, { lineDeadline: R.lineDeadline, inactivity: R.inactivity, refused: verdictReply }, socket, peer, secure, ticket);
    // RFC 1939 §7: unique per connection, so a captured APOP digest cannot be replayed
    this.apopTimestamp = `<${process.pid}.${crypto.randomBytes(8).toString('hex')}@${env.hostname}>`;
    this.reader = new LineReader(env.limits);
  }

  protected greeting(): string {
    return R.greeting(this.env.hostname, this.apopTimestamp);
  }

  drop(): Maildrop {
    if (!this.maildrop) throw new Error('no maildrop outside the TRANSACTION state');
    return this.maildrop;
  }

  plaintextAuthAllowed(): boolean {
    return this.conn.secure || this.env.config.allowInsecureAuth;
  }

  async readContinuation(): Promise<string | null> {
    const ev = await this.input.next();
    if (!ev) return null;
    if (ev.kind === 'overlong') {
      this.counters.overlongLines++;
      return null;
    }
    return ev.line;
  }

  holdLock(release: () => void): void {
    this.releaseLock = release;
    if (this.closing) release();
  }

  enterTransaction(user: AuthUser, maildrop: Maildrop): void {
    this.conn.user = user;
    this.conn.log = this.conn.log.child({ user: user.address });
    this.maildrop = maildrop;
    this.state = 'TRANSACTION';
  }

  /** STLS: `reply` in the clear, then the handshake (RFC 2595 §4). */
  startTls(reply: string): Promise<void> {
    return this.upgrade(reply);
  }

  /** No command runs after this point, so the maildrop is free before the last reply goes out. */
  protected onEnding(): void {
    this.releaseLock?.();
    this.releaseLock = null;
  }

  protected clearReader(): number {
    return this.reader.clear();
  }

  protected received(chunk: Buffer): void {
    for (const ev of this.reader.push(chunk)) {
      if (ev.kind === 'flood') {
        this.conn.log.warn({ octets: ev.octets }, 'pop3 unterminated line too long');
        void this.end(R.lineTooLongClosing());
        return;
      }
      this.input.push(ev);
    }
  }

  protected run(ev: LineEvent): Promise<void> {
    return dispatch(this, this.counters, ev);
  }

  protected async internalError(): Promise<void> {
    await this.write(R.internal());
  }
}
