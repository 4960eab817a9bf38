/**
 * The socket life cycle a line-protocol session (IMAP, POP3) shares: listeners on the socket,
 * the per-line deadline and the idle timeout, the input queue its commands wait in (one command
 * at a time, in arrival order), writes with back-pressure, STARTTLS/STLS (input pipelined after
 * it is dropped), a graceful end with a last line, the hard stop at shutdown, and the
 * connect/disconnect hooks. The protocol supplies its texts, how it reads bytes into commands,
 * and how it runs one.
 */
import crypto from 'node:crypto';
import type net from 'node:net';
import type tls from 'node:tls';
import { createConnection, type Connection, type Protocol } from '../../core/session.ts';
import type { HookRunner } from '../../core/hooks.ts';
import type { Logger } from '../../core/log.ts';
import type { Verdict } from '../../core/verdict.ts';
import { upgradeToTls } from './tls-upgrade.ts';
import type { PeerInfo } from './session-listeners.ts';
import { InputQueue } from './input-queue.ts';
import { LineDeadline } from './line-deadline.ts';
import type { Ticket } from './connection-gate.ts';

/** A closing connection that does not read its last reply is cut after this long. */
const CLOSE_GRACE_MS = 2000;

export interface LineSessionEnv {
  log: Logger;
  hooks: HookRunner;
  secureContext: tls.SecureContext;
  config: { commandDeadlineMs: number; socketTimeoutMs: number };
  limits: { maxQueuedCommands: number };
}

/** The lines a protocol says at the session's edges. */
export interface LineSessionTexts {
  lineDeadline(): string;
  inactivity(): string;
  /** A connect hook refused the client. */
  refused(verdict: Verdict): string;
}

export abstract class LineSession<E> {
  readonly conn: Connection;
  closed = false;
  /** Resolves when the connection has closed and the disconnect hook has run. */
  readonly done: Promise<void>;
  /** Resolves when the session stops taking commands (it no longer counts against maxSessions). */
  readonly ending: Promise<void>;

  protected socket: net.Socket;
  protected readonly input: InputQueue<E>;
  protected closing = false;
  /** The connect hook ran, so the disconnect hook runs at close too. */
  private hooked = false;
  private killTimer: NodeJS.Timeout | undefined;
  private resolveDone!: () => void;
  private resolveEnding!: () => void;

  /** A command line must be complete within commandDeadlineMs of its first byte. */
  private readonly deadline = new LineDeadline(() => this.lineEnv.config.commandDeadlineMs, () => {
    this.conn.log.info(`${this.protocol} command line deadline passed`);
    void this.end(this.texts.lineDeadline());
  });
  /**
   * The socket carries the protocol's text in another form (IMAP COMPRESS): the session feeds
   * the line deadline the plain bytes itself, through feedDeadline().
   */
  protected transformedInput = false;
  private readonly onData = (chunk: Buffer) => {
    if (!this.transformedInput) this.deadline.feed(chunk);
    if (!this.closing) this.received(chunk);
  };
  private readonly onClose = () => this.finish();
  private readonly onError = (err: Error) => this.conn.log.debug({ err }, `${this.protocol} socket error`);
  private readonly onTimeout = () => {
    this.conn.log.info(`${this.protocol} idle timeout`);
    void this.end(this.texts.inactivity());
  };

  constructor(
    private readonly protocol: Protocol,
    private readonly lineEnv: LineSessionEnv,
    private readonly texts: LineSessionTexts,
    socket: net.Socket, peer: PeerInfo, secure: boolean, readonly ticket?: Ticket,
  ) {
    this.input = new InputQueue(() => this.socket, lineEnv.limits.maxQueuedCommands);
    const id = crypto.randomBytes(6).toString('hex');
    this.conn = createConnection({ id, protocol, ...peer, secure, log: lineEnv.log.child({ conn: id, proto: protocol }) });
    this.socket = socket;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.ending = new Promise((resolve) => (this.resolveEnding = resolve));
    this.attach(socket);
  }

  /** Plain client bytes, when `transformedInput` is set. */
  protected feedDeadline(chunk: Buffer): void {
    this.deadline.feed(chunk);
  }

  /** Bytes from the client (not called once the session is closing): into commands, into the input queue. */
  protected abstract received(chunk: Buffer): void;
  /** Runs one command from the input queue. */
  protected abstract run(ev: E): Promise<void>;
  /** A command threw: what the client is told. */
  protected abstract internalError(ev: E): Promise<void>;
  /** The greeting, once the connect hook let the client in. */
  protected abstract greeting(): string;
  /** Input buffered in the protocol's reader, dropped at STARTTLS (octets). */
  protected abstract clearReader(): number;
  /** The session stops taking commands (end or close). */
  protected onEnding(): void {}
  /** The connection has closed: release what the session holds. */
  protected onFinish(): void {}

  /** Runs the connect hook, then greets and serves commands. */
  async start(): Promise<void> {
    this.conn.log.info({ remote: this.conn.remoteAddress, port: this.conn.localPort, secure: this.conn.secure }, `${this.protocol} connect`);
    this.hooked = true;
    const verdict = await this.lineEnv.hooks.run('connect', { conn: this.conn });
    if (this.closing) return;
    if (verdict.kind === 'reject' || verdict.kind === 'disconnect') {
      this.conn.log.info({ reason: verdict.message }, `${this.protocol} connection refused by hook`);
      return this.end(this.texts.refused(verdict));
    }
    await this.write(this.greeting());
    void this.serve();
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
      // back-pressure: a client that stops reading holds this command, not unbounded memory
      socket.write(data, done);
    });
  }

  /**
   * STARTTLS / STLS: what came with or after the command is dropped (RFC 3501 §6.2.1, RFC 2595
   * §4; the CVE-2011-0411 class), `reply` is sent in the clear, then the handshake.
   */
  protected async upgrade(reply?: string): Promise<void> {
    const raw = this.socket;
    raw.pause();
    raw.off('data', this.onData);
    raw.off('timeout', this.onTimeout);
    raw.setTimeout(0);
    const octets = this.clearReader();
    const pending = this.input.clear();
    if (octets || pending) this.conn.log.warn({ octets, pending }, `${this.protocol} discarded input pipelined after STARTTLS`);
    if (reply !== undefined) {
      await this.write(reply);
      if (this.closing || raw.destroyed) return;
    }
    try {
      const secure = await upgradeToTls(raw, this.lineEnv.secureContext, this.lineEnv.config.socketTimeoutMs);
      this.socket = secure;
      this.conn.secure = true;
      this.attach(secure);
      this.conn.log.info({ protocol: secure.getProtocol() }, `${this.protocol} TLS started`);
    } catch (err) {
      this.conn.log.info({ err }, `${this.protocol} TLS handshake failed`);
      this.finish();
    }
  }

  /** Stops taking commands and closes after `last` (a BYE, a -ERR) has gone out. */
  async end(last?: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.resolveEnding();
    this.input.end();
    this.onEnding();
    const socket = this.socket;
    this.killTimer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    this.killTimer.unref();
    if (socket.destroyed) return;
    await this.freeSlot();
    await new Promise<void>((resolve) => {
      socket.once('close', resolve);
      socket.end(last ?? '', resolve);
    });
  }

  /**
   * Gives the connection's place in the per-IP and (user, IP) counts back before the session's
   * last reply (POP3's +OK to QUIT, IMAP's OK to LOGOUT), told to every worker: a client that
   * reconnects on that reply is not refused for the session it just ended.
   */
  async freeSlot(): Promise<void> {
    await this.ticket?.releaseTold();
  }

  /** Closes at once (service shutdown), after a last line when the socket takes it. */
  shutdown(last: string): void {
    if (this.closed) return;
    if (!this.closing) void this.end(last);
    setImmediate(() => this.socket.destroy());
  }

  private attach(socket: net.Socket): void {
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
    socket.on('timeout', this.onTimeout);
    socket.setTimeout(this.lineEnv.config.socketTimeoutMs);
  }

  private async serve(): Promise<void> {
    for (let ev = await this.input.next(); ev && !this.closing; ev = await this.input.next()) {
      try {
        await this.run(ev);
      } catch (err) {
        this.conn.log.error({ err }, `${this.protocol} command failed`);
        await this.internalError(ev);
      }
    }
  }

  protected finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.resolveEnding();
    clearTimeout(this.killTimer);
    this.deadline.stop();
    this.socket.destroy();
    this.input.end();
    this.onEnding();
    this.onFinish();
    // after a login the session's logger carries `user` (bound at the login), so it is not repeated here
    const state = (this as { state?: string }).state;
    this.conn.log.info({ state }, this.conn.user ? `${this.protocol} logout` : `${this.protocol} disconnect`);
    if (!this.hooked) return this.resolveDone();
    void this.lineEnv.hooks.run('disconnect', { conn: this.conn }).finally(() => this.resolveDone());
  }
}
