/**
 * One IMAP connection: the socket, the command reader and the state (RFC 3501 §3). Commands
 * run one at a time in arrival order; what the client pipelines waits in the queue. Change
 * notifications for the logged-in account mark the selected mailbox for a refresh and wake IDLE.
 */
import crypto from 'node:crypto';
import type net from 'node:net';
import { createConnection, type AuthUser, type Connection } from '../../core/session.ts';
import type { Account } from '../../core/store/ports.ts';
import type { MailboxChange } from '../../core/store/notifications.ts';
import { upgradeToTls } from '../net/tls-upgrade.ts';
import { dispatch } from './dispatch.ts';
import type { SelectedMailbox } from './mailbox/selected.ts';
import { CommandReader, type ReaderEvent, type SpooledLiteral } from './reader.ts';
import { SpoolWriter } from '../store/spool.ts';
import { capabilities, R } from './replies.ts';
import type { ImapEnv, ImapSession, ImapState } from './types.ts';
import type { PeerInfo } from '../net/session-listeners.ts';
import { InputQueue } from '../net/input-queue.ts';
import { LineDeadline } from '../net/line-deadline.ts';
import type { Ticket } from '../net/connection-gate.ts';

const CLOSE_GRACE_MS = 2000;


export class Session implements ImapSession {
  readonly conn: Connection;
  state: ImapState = 'notauth';
  account: Account | null = null;
  selected: SelectedMailbox | null = null;
  readonly enabled = new Set<string>();
  authFailures = 0;
  badCommands = 0;
  closed = false;
  readonly done: Promise<void>;
  readonly ending: Promise<void>;

  private socket: net.Socket;
  /** Literals spooled to disk whose command has not finished (removed when the session ends). */
  private readonly spooled = new Set<SpooledLiteral>();
  private readonly reader: CommandReader;
  private readonly input: InputQueue<ReaderEvent>;
  private changeWaiters: (() => void)[] = [];
  private unsubscribe: (() => void) | null = null;
  private unsubscribeShared: (() => void) | null = null;
  private dirty = false;
  private closing = false;
  private hooked = false;
  private killTimer: NodeJS.Timeout | undefined;
  private resolveDone!: () => void;
  private resolveEnding!: () => void;

  /** A command line must be complete within commandDeadlineMs of its first byte. */
  private readonly deadline = new LineDeadline(() => this.env.config.commandDeadlineMs, () => {
    this.conn.log.info({ user: this.conn.user?.address }, 'imap command line deadline passed');
    void this.end(R.lineDeadline());
  });
  private readonly onData = (chunk: Buffer) => {
    this.deadline.feed(chunk);
    this.received(chunk);
  };
  /** A committed change to one of the account's mailboxes: refresh if it is the selected one. */
  private readonly onChange = (change: MailboxChange) => {
    if (this.selected && change.mailboxId === this.selected.info.id) {
      this.dirty = true;
      this.poke();
    }
  };
  private readonly onClose = () => this.finish();
  private readonly onError = (err: Error) => this.conn.log.debug({ err }, 'imap socket error');
  private readonly onTimeout = () => {
    this.conn.log.info({ user: this.conn.user?.address }, 'imap idle timeout');
    void this.end(R.inactivity());
  };

  constructor(readonly env: ImapEnv, socket: net.Socket, peer: PeerInfo, secure: boolean, readonly ticket?: Ticket) {
    this.input = new InputQueue(() => this.socket, env.limits.maxQueuedCommands);
    const id = crypto.randomBytes(6).toString('hex');
    this.conn = createConnection({ id, protocol: 'imap', ...peer, secure, log: env.log.child({ conn: id, proto: 'imap' }) });
    this.reader = new CommandReader(
      { maxLineOctets: env.config.maxLineOctets, maxLiteralOctets: env.config.maxMessageSize },
      () => void this.send(R.continueLiteral()),
      () => (this.state === 'notauth' ? env.limits.maxPreauthLiteral : env.config.maxMessageSize),
      {
        threshold: env.config.spoolThreshold,
        // a write to the spool file under way pauses the socket (received()); done, it reads on
        open: () => new SpoolWriter(env.spoolDir, 0, () => this.socket.resume()),
        started: (lit) => {
          this.spooled.add(lit);
          const dispose = lit.dispose;
          lit.dispose = () => {
            this.spooled.delete(lit);
            return dispose();
          };
        },
      },
    );
    this.socket = socket;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.ending = new Promise((resolve) => (this.resolveEnding = resolve));
    this.attach(socket);
  }

  async start(): Promise<void> {
    this.conn.log.info({ remote: this.conn.remoteAddress, port: this.conn.localPort, secure: this.conn.secure }, 'imap connect');
    this.hooked = true;
    const verdict = await this.env.hooks.run('connect', { conn: this.conn });
    if (this.closing) return;
    if (verdict.kind === 'reject' || verdict.kind === 'disconnect') return this.end(R.refused(verdict));
    await this.send(R.greeting(this.env.hostname, capabilities(this)));
    void this.serve();
  }

  plaintextAuthAllowed(): boolean {
    return this.conn.secure || this.env.config.allowInsecureAuth;
  }

  send(data: string | Buffer): Promise<void> {
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

  async readLine(): Promise<Buffer | null> {
    for (;;) {
      const ev = await this.input.next();
      if (!ev) return null;
      if (ev.kind === 'command') return ev.data;
      if (ev.kind === 'fatal') {
        void this.end(ev.reason === 'line' ? R.lineTooLong() : R.literalTooLong());
        return null;
      }
      // a refused literal inside IDLE or AUTHENTICATE: answer its tag, keep waiting
      await this.send(R.literalRefused(ev.tag));
    }
  }

  /** A line is already waiting (IDLE checks before it sleeps). */
  hasInput(): boolean {
    return this.input.length > 0;
  }

  waitChange(ms: number): Promise<void> {
    if (this.dirty || this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(wake, ms);
      function wake() {
        clearTimeout(timer);
        resolve();
      }
      this.changeWaiters.push(wake);
    });
  }

  /** Wakes waitChange() (a notification, input, or the end of the session). */
  private poke(): void {
    for (const w of this.changeWaiters.splice(0)) w();
  }

  login(account: Account, user: AuthUser): void {
    this.account = account;
    this.conn.user = user;
    this.conn.log = this.conn.log.child({ user: user.address });
    this.state = 'auth';
    this.unsubscribe = this.env.stores.changes.subscribe(account.id, this.onChange);
  }

  select(mailbox: SelectedMailbox | null): void {
    this.selected = mailbox;
    this.dirty = false;
    this.state = mailbox ? 'selected' : 'auth';
    this.unsubscribeShared?.();
    this.unsubscribeShared = null;
    const owner = mailbox?.info.accountId;
    if (mailbox && owner !== undefined && owner !== this.account?.id) {
      // a shared folder (IM-2): its changes are published under its owner's account
      this.unsubscribeShared = this.env.stores.changes.subscribe(owner, this.onChange);
    }
  }

  async flushUpdates(allowExpunge: boolean): Promise<void> {
    const sel = this.selected;
    if (!sel) return;
    this.dirty = false;
    await sel.refresh();
    if (sel.gone) {
      // RFC 3501 does not cover a selected mailbox deleted by another session; Dovecot and
      // others end the session, which every client survives
      await this.end(R.mailboxGone());
      return;
    }
    const lines = sel.updates(allowExpunge);
    if (lines.length) await this.send(lines.join(''));
  }

  async startTls(): Promise<void> {
    const raw = this.socket;
    raw.pause();
    raw.off('data', this.onData);
    raw.off('timeout', this.onTimeout);
    raw.setTimeout(0);
    // RFC 3501 §6.2.1 / CVE-2011-0411 class: what came with or after STARTTLS is dropped
    const octets = this.reader.clear();
    const pending = this.input.clear();
    if (octets || pending) this.conn.log.warn({ octets, pending }, 'imap discarded input pipelined after STARTTLS');
    try {
      const secure = await upgradeToTls(raw, this.env.secureContext, this.env.config.socketTimeoutMs);
      this.socket = secure;
      this.conn.secure = true;
      this.attach(secure);
    } catch (err) {
      this.conn.log.info({ err }, 'imap STARTTLS handshake failed');
      this.finish();
    }
  }

  async end(bye?: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.resolveEnding();
    this.input.end();
    this.poke();
    const socket = this.socket;
    this.killTimer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    this.killTimer.unref();
    if (socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', resolve);
      socket.end(bye ?? '', resolve);
    });
  }

  shutdown(bye: string): void {
    if (this.closed) return;
    if (!this.closing) void this.end(bye);
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
      this.input.push(ev);
      this.poke();
    }
    if (this.reader.spoolBusy) this.socket.pause();
  }

  private async serve(): Promise<void> {
    for (let ev = await this.input.next(); ev && !this.closing; ev = await this.input.next()) {
      try {
        await dispatch(this, ev);
      } catch (err) {
        this.conn.log.error({ err }, 'imap command failed');
        await this.send(R.untaggedBad('Internal error'));
      } finally {
        if (ev.kind === 'command') for (const lit of ev.spooled ?? []) await lit.dispose();
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
    this.poke();
    // spool files of literals still arriving or of commands that will not run
    this.reader.dropSpooled();
    for (const lit of [...this.spooled]) void lit.dispose();
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.unsubscribeShared?.();
    this.unsubscribeShared = null;
    const user = this.conn.user?.address;
    this.conn.log.info({ user, state: this.state }, user ? 'imap logout' : 'imap disconnect');
    if (!this.hooked) return this.resolveDone();
    void this.env.hooks.run('disconnect', { conn: this.conn }).finally(() => this.resolveDone());
  }
}
