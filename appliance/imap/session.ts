/**
 * One IMAP connection: the socket, the command reader and the state (RFC 3501 §3). Commands
 * run one at a time in arrival order; what the client pipelines waits in the queue. Change
 * notifications for the logged-in account mark the selected mailbox for a refresh and wake IDLE.
 */
import type net from 'node:net';
import type { AuthUser } from '../../core/session.ts';
import type { Account } from '../../core/store/ports.ts';
import type { MailboxChange } from '../../core/store/notifications.ts';
import { dispatch } from './dispatch.ts';
import type { SelectedMailbox } from './mailbox/selected.ts';
import { CommandReader, type ReaderEvent, type SpooledLiteral } from './reader.ts';
import { SpoolWriter } from '../store/spool.ts';
import { capabilities, R } from './replies.ts';
import type { ImapEnv, ImapSession, ImapState } from './types.ts';
import type { PeerInfo } from '../net/session-listeners.ts';
import { LineSession } from '../net/line-session.ts';
import type { Ticket } from '../net/connection-gate.ts';
import { DeflateLink } from './compress.ts';

/** Output held back while a command runs is written once it reaches this many bytes. */
const HOLD_BYTES = 64 * 1024;

export class Session extends LineSession<ReaderEvent> implements ImapSession {
  state: ImapState = 'notauth';
  account: Account | null = null;
  selected: SelectedMailbox | null = null;
  readonly enabled = new Set<string>();
  authFailures = 0;
  badCommands = 0;

  /** Literals spooled to disk whose command has not finished (removed when the session ends). */
  private readonly spooled = new Set<SpooledLiteral>();
  private readonly reader: CommandReader;
  private changeWaiters: (() => void)[] = [];
  private unsubscribe: (() => void) | null = null;
  private unsubscribeShared: (() => void) | null = null;
  private dirty = false;
  /** COMPRESS=DEFLATE (RFC 4978): input is inflated from when it is set, output deflated once `deflating`. */
  private link: DeflateLink | null = null;
  private deflating = false;
  /**
   * While a command runs, what it sends is held and written together with its tagged
   * completion: one write (one deflate flush under COMPRESS) a command rather than one a
   * line. Held output goes out before anything waits for the client (readLine, IDLE), before
   * TLS or COMPRESS starts and when it reaches HOLD_BYTES, so back-pressure still holds.
   */
  private holding = false;
  private held: Buffer[] = [];
  private heldBytes = 0;
  /**
   * A committed change to one of the account's mailboxes: refresh if it is the selected one,
   * unless the view holds its MODSEQ already (this session's own change, applied in place).
   */
  private readonly onChange = (change: MailboxChange) => {
    const sel = this.selected;
    if (sel && change.mailboxId === sel.info.id && !(change.modseq !== undefined && change.modseq <= sel.info.highestModseq)) {
      this.dirty = true;
      this.poke();
    }
  };

  constructor(readonly env: ImapEnv, socket: net.Socket, peer: PeerInfo, secure: boolean, ticket?: Ticket) {
    super('imap', env, { lineDeadline: R.lineDeadline, inactivity: R.inactivity, refused: R.refused }, socket, peer, secure, ticket);
    this.reader = new CommandReader(
      { maxLineOctets: env.config.maxLineOctets, maxLiteralOctets: env.config.maxMessageSize },
      () => void this.release(R.continueLiteral()),
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
  }

  protected greeting(): string {
    return R.greeting(this.env.hostname, capabilities(this));
  }

  plaintextAuthAllowed(): boolean {
    return this.conn.secure || this.env.config.allowInsecureAuth;
  }

  send(data: string | Buffer): Promise<void> {
    if (!this.holding) return this.write(data);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    this.held.push(bytes);
    this.heldBytes += bytes.length;
    return this.heldBytes >= HOLD_BYTES ? this.release() : Promise.resolve();
  }

  /** Writes the held output (and `then`, after it) in one write. */
  private release(then?: string): Promise<void> {
    if (then !== undefined) this.held.push(Buffer.from(then));
    if (!this.held.length) return Promise.resolve();
    const data = this.held.length === 1 ? this.held[0] : Buffer.concat(this.held);
    this.held = [];
    this.heldBytes = 0;
    return this.write(data);
  }

  write(data: string | Buffer): Promise<void> {
    if (this.link && this.deflating && !this.closed) return this.link.send(data);
    return super.write(data);
  }

  async end(bye?: string): Promise<void> {
    this.holding = false;
    await this.release();
    this.link?.stopInput();
    // the last line goes out compressed too, before the socket is ended
    if (this.link && this.deflating && !this.closing) {
      if (bye) await this.link.send(bye);
      bye = undefined;
      await this.link.finish();
    }
    return super.end(bye);
  }

  get compressed(): boolean {
    return this.link !== null;
  }

  /**
   * COMPRESS DEFLATE (RFC 4978 §3): the client compresses right after the CRLF of the command
   * and waits for the tagged OK, so from here the input is inflated; the OK goes out in the
   * clear and everything after it deflated. Input pipelined after COMPRESS (which a client must
   * not send) is dropped, as after STARTTLS.
   */
  async startCompression(ok: string): Promise<void> {
    const octets = this.reader.clear();
    const pending = this.input.clear();
    if (octets || pending) this.conn.log.warn({ octets, pending }, 'imap discarded input pipelined after COMPRESS');
    await this.release();
    this.transformedInput = true;
    this.link = new DeflateLink(
      this.socket,
      (chunk) => {
        this.feedDeadline(chunk);
        if (!this.closing) this.frame(chunk);
      },
      (err) => {
        this.conn.log.info({ err: err.message }, 'imap invalid compressed input');
        void this.end(R.badCompressedData());
      },
    );
    await super.write(ok);
    this.deflating = true;
  }

  async readLine(): Promise<Buffer | null> {
    await this.release();
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

  async waitChange(ms: number): Promise<void> {
    await this.release();
    if (this.dirty || this.closing) return;
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

  async refreshSelected(): Promise<void> {
    this.dirty = false;
    await this.selected?.refresh();
  }

  async flushUpdates(allowExpunge: boolean, unlessQuiet = false): Promise<void> {
    const sel = this.selected;
    if (!sel) return;
    if (!unlessQuiet || this.dirty) await this.refreshSelected();
    if (sel.gone) {
      // RFC 3501 does not cover a selected mailbox deleted by another session; Dovecot and
      // others end the session, which every client survives
      await this.end(R.mailboxGone());
      return;
    }
    const lines = await sel.updates(allowExpunge);
    if (lines.length) await this.send(lines.join(''));
  }

  /** STARTTLS, after its tagged OK (RFC 3501 §6.2.1). */
  async startTls(): Promise<void> {
    await this.release();
    return this.upgrade();
  }

  protected clearReader(): number {
    return this.reader.clear();
  }

  protected received(chunk: Buffer): void {
    if (this.link) this.link.received(chunk);
    else this.frame(chunk);
  }

  /** Plain client bytes into commands. */
  private frame(chunk: Buffer): void {
    for (const ev of this.reader.push(chunk)) {
      this.input.push(ev);
      this.poke();
    }
    if (this.reader.spoolBusy) this.socket.pause();
  }

  protected async run(ev: ReaderEvent): Promise<void> {
    this.holding = true;
    try {
      await dispatch(this, ev);
    } finally {
      this.holding = false;
      await this.release();
      if (ev.kind === 'command') for (const lit of ev.spooled ?? []) await lit.dispose();
    }
  }

  protected async internalError(): Promise<void> {
    await this.send(R.untaggedBad('Internal error'));
  }

  /** Wakes IDLE and waitChange() when the session stops taking commands. */
  protected onEnding(): void {
    this.poke();
  }

  protected onFinish(): void {
    this.link?.close();
    // spool files of literals still arriving or of commands that will not run
    this.reader.dropSpooled();
    for (const lit of [...this.spooled]) void lit.dispose();
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.unsubscribeShared?.();
    this.unsubscribeShared = null;
  }
}
