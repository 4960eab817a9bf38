/**
 * One POP3 connection: the socket, the line queue and the state. Commands are processed one
 * at a time in arrival order, so a pipelining client (RFC 2449 PIPELINING) gets its replies
 * in order; what it sends while a command runs waits in the queue.
 */
import crypto from 'node:crypto';
import type net from 'node:net';
import { createConnection, type AuthUser, type Connection } from '../../core/session.ts';
import { dispatch, type AbuseCounters } from './dispatch.ts';
import { LineReader, type LineEvent } from './line-reader.ts';
import type { Maildrop } from './maildrop.ts';
import { R, verdictReply } from './replies.ts';
import { upgradeToTls } from '../net/tls-upgrade.ts';
import type { Pop3Env, Pop3Session, Pop3State } from './types.ts';
import type { PeerInfo } from '../net/session-listeners.ts';
import { InputQueue } from '../net/input-queue.ts';
import { LineDeadline } from '../net/line-deadline.ts';
import type { Ticket } from '../net/connection-gate.ts';

/** A closing connection that does not read its last reply is cut after this long. */
const CLOSE_GRACE_MS = 2000;


export class Session implements Pop3Session {
  readonly conn: Connection;
  readonly apopTimestamp: string;
  state: Pop3State = 'AUTHORIZATION';
  pendingUser: string | null = null;
  authFailures = 0;
  maildrop: Maildrop | null = null;
  closed = false;
  /** Resolves when the connection has closed and the disconnect hook has run. */
  readonly done: Promise<void>;
  /** Resolves when the session stops taking commands (it no longer counts against maxSessions). */
  readonly ending: Promise<void>;

  private socket: net.Socket;
  private readonly reader: LineReader;
  private readonly counters: AbuseCounters = { overlongLines: 0, unknownCommands: 0 };
  private readonly input: InputQueue<LineEvent>;
  private closing = false;
  /** The connect hook ran, so the disconnect hook runs at close too. */
  private hooked = false;
  private releaseLock: (() => void) | null = null;
  private killTimer: NodeJS.Timeout | undefined;
  private resolveDone!: () => void;
  private resolveEnding!: () => void;

  /** A command line must be complete within commandDeadlineMs of its first byte. */
  private readonly deadline = new LineDeadline(() => this.env.config.commandDeadlineMs, () => {
    this.conn.log.info({ user: this.conn.user?.address }, 'pop3 command line deadline passed');
    void this.end(R.lineDeadline());
  });
  private readonly onData = (chunk: Buffer) => {
    this.deadline.feed(chunk);
    this.received(chunk);
  };
  private readonly onClose = () => this.finish();
  private readonly onError = (err: Error) => this.conn.log.debug({ err }, 'pop3 socket error');
  private readonly onTimeout = () => {
    this.conn.log.info({ user: this.conn.user?.address }, 'pop3 idle timeout');
    void this.end(R.inactivity());
  };

  constructor(readonly env: Pop3Env, socket: net.Socket, peer: PeerInfo, secure: boolean, readonly ticket?: Ticket) {
    this.input = new InputQueue(() => this.socket, env.limits.maxQueuedCommands);
    const id = crypto.randomBytes(6).toString('hex');
    this.conn = createConnection({ id, protocol: 'pop3', ...peer, secure, log: env.log.child({ conn: id, proto: 'pop3' }) });
    // RFC 1939 §7: unique per connection, so a captured APOP digest cannot be replayed
    this.apopTimestamp = `<${process.pid}.${crypto.randomBytes(8).toString('hex')}@${env.hostname}>`;
    this.reader = new LineReader(env.limits);
    this.socket = socket;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.ending = new Promise((resolve) => (this.resolveEnding = resolve));
    this.attach(socket);
  }

  /** Runs the connect hook, then greets and serves commands. */
  async start(): Promise<void> {
    this.conn.log.info({ remote: this.conn.remoteAddress, port: this.conn.localPort, secure: this.conn.secure }, 'pop3 connect');
    this.hooked = true;
    const verdict = await this.env.hooks.run('connect', { conn: this.conn });
    if (this.closing) return;
    if (verdict.kind === 'reject' || verdict.kind === 'disconnect') {
      this.conn.log.info({ reason: verdict.message }, 'pop3 connection refused by hook');
      return this.end(verdictReply(verdict));
    }
    await this.write(R.greeting(this.env.hostname, this.apopTimestamp));
    void this.serve();
  }

  drop(): Maildrop {
    if (!this.maildrop) throw new Error('no maildrop outside the TRANSACTION state');
    return this.maildrop;
  }

  plaintextAuthAllowed(): boolean {
    return this.conn.secure || this.env.config.allowInsecureAuth;
  }

  write(data: string | Buffer): Promise<void> {
    const socket = this.socket;
    if (this.closed || socket.destroyed || !socket.writable) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        socket.off('close', done);
        resolve();
      };
      socket.once('close', done);
      socket.write(data, done);
    });
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

  async startTls(reply: string): Promise<void> {
    const raw = this.socket;
    raw.pause();
    raw.off('data', this.onData);
    raw.off('timeout', this.onTimeout);
    raw.setTimeout(0);
    // RFC 2595 §4 / CVE-2011-0411 class: bytes that came with or after STLS are dropped
    const octets = this.reader.clear();
    const lines = this.input.clear();
    if (octets || lines) this.conn.log.warn({ lines, octets }, 'pop3 discarded input pipelined after STLS');
    await this.write(reply);
    if (this.closing || raw.destroyed) return;
    try {
      const secure = await upgradeToTls(raw, this.env.secureContext, this.env.config.socketTimeoutMs);
      this.socket = secure;
      this.conn.secure = true;
      this.attach(secure);
      this.conn.log.info({ protocol: secure.getProtocol() }, 'pop3 STLS done');
    } catch (err) {
      this.conn.log.info({ err }, 'pop3 STLS handshake failed');
      this.finish();
    }
  }

  async end(reply?: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.resolveEnding();
    this.input.end();
    // no command runs after this point, so the maildrop is free before the last reply goes out
    this.releaseLock?.();
    this.releaseLock = null;
    const socket = this.socket;
    this.killTimer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    this.killTimer.unref();
    if (socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', resolve);
      socket.end(reply ?? '', resolve);
    });
  }

  /** Closes at once (service shutdown), after a last reply when the socket takes it. */
  shutdown(reply: string): void {
    if (this.closed) return;
    if (!this.closing) void this.end(reply);
    setImmediate(() => this.socket.destroy());
  }

  private attach(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    socket.on('timeout', this.onTimeout);
    socket.setTimeout(this.env.config.socketTimeoutMs);
  }

  private received(chunk: Buffer): void {
    if (this.closing) return;
    for (const ev of this.reader.push(chunk)) {
      if (ev.kind === 'flood') {
        this.conn.log.warn({ octets: ev.octets }, 'pop3 unterminated line too long');
        void this.end(R.lineTooLongClosing());
        return;
      }
      this.input.push(ev);
    }
  }

  private async serve(): Promise<void> {
    for (let ev = await this.input.next(); ev && !this.closing; ev = await this.input.next()) {
      try {
        await dispatch(this, this.counters, ev);
      } catch (err) {
        this.conn.log.error({ err }, 'pop3 command failed');
        await this.write(R.internal());
      }
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.resolveEnding();
    clearTimeout(this.killTimer);
    this.deadline.stop();
    this.socket.destroy();
    this.input.end();
    this.releaseLock?.();
    this.releaseLock = null;
    const user = this.conn.user?.address;
    this.conn.log.info({ user, state: this.state }, user ? 'pop3 logout' : 'pop3 disconnect');
    if (!this.hooked) return this.resolveDone();
    void this.env.hooks.run('disconnect', { conn: this.conn }).finally(() => this.resolveDone());
  }
}
