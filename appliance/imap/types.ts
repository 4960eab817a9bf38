/**
 * Types shared by the IMAP listener, its session and its command modules. Commands see the
 * session only through `ImapSession`, never the socket.
 */
import type { SpooledLiteral } from './reader.ts';
import type tls from 'node:tls';
import type { AppConfig } from '../../core/config/schema.ts';
import type { HookRunner } from '../../core/hooks.ts';
import type { Logger } from '../../core/log.ts';
import type { AuthUser, Connection } from '../../core/session.ts';
import type { Account, Stores } from '../../core/store/ports.ts';
import type { Token } from './parser.ts';
import type { SelectedMailbox } from './mailbox/selected.ts';
import type { AuthGuard } from '../auth/guard.ts';
import type { Ticket } from '../net/connection-gate.ts';

/** RFC 3501 §3. LOGOUT is entered only inside the LOGOUT command. */
export type ImapState = 'notauth' | 'auth' | 'selected';

export interface ImapLimits {
  maxAuthFailures: number;
  authFailureDelayMs: number;
  maxBadCommands: number;
  /** Literal limit before authentication. */
  maxPreauthLiteral: number;
  /** Commands queued before the socket is paused. */
  maxQueuedCommands: number;
  /** IDLE re-reads the mailbox this often even without a notification (other processes). */
  idlePollMs: number;
}

export interface ImapEnv {
  config: AppConfig['imap'];
  stores: Stores;
  hooks: HookRunner;
  hostname: string;
  secureContext: tls.SecureContext;
  /** The appliance's login guard (penalty per IP and login, hashing cap). */
  auth: AuthGuard;
  limits: ImapLimits;
  log: Logger;
  /** Where literals over imap.spoolThreshold (APPEND) wait on disk. */
  spoolDir: string;
  /** Free space under the data directory (APPEND answers NO [OVERQUOTA] below the threshold). */
  disk?: { short(): Promise<number | null> };
}

/** A tagged completion (RFC 3501 §7.1). */
export interface Completion {
  status: 'OK' | 'NO' | 'BAD';
  /** Response code without brackets, e.g. `READ-WRITE`, `APPENDUID 1 2`. */
  code?: string;
  text: string;
}

export interface Command {
  tag: string;
  verb: string;
  /** The command came as `UID <verb>`. */
  uid: boolean;
  args: Token[];
  /** Literals spooled to disk, in order; each stands in `args` as an empty literal. */
  spooled?: SpooledLiteral[];
}

export interface ImapSession {
  readonly env: ImapEnv;
  readonly conn: Connection;
  /** The connection's place in the gate's counts (per IP, then per user and IP). */
  readonly ticket?: Ticket;
  readonly state: ImapState;
  account: Account | null;
  selected: SelectedMailbox | null;
  /** RFC 5161 ENABLE'd extensions (CONDSTORE, QRESYNC, UTF8=ACCEPT). */
  readonly enabled: Set<string>;
  authFailures: number;
  plaintextAuthAllowed(): boolean;
  /** Sends untagged data (or a continuation); resolves when the socket took it. */
  send(data: string | Buffer): Promise<void>;
  /** Next raw line from the client inside a command (SASL, IDLE's DONE); null on close. */
  readLine(): Promise<Buffer | null>;
  /** Resolves on the next change notification for the account, or after `ms`. */
  waitChange(ms: number): Promise<void>;
  /** A client line is already queued. */
  hasInput(): boolean;
  login(account: Account, user: AuthUser): void;
  /** Enters the selected state (or leaves it with null). */
  select(mailbox: SelectedMailbox | null): void;
  /**
   * Sends pending EXISTS/EXPUNGE/FETCH of the selected mailbox, refreshed first (with
   * `unlessQuiet`: only if a change was heard since the last refresh).
   */
  flushUpdates(allowExpunge: boolean, unlessQuiet?: boolean): Promise<void>;
  /** Brings the selected view up to date before a command. */
  refreshSelected(): Promise<void>;
  startTls(): Promise<void>;
  /** COMPRESS=DEFLATE is on (RFC 4978). */
  readonly compressed: boolean;
  /** Sends the tagged `ok` of COMPRESS in the clear, then deflates both directions. */
  startCompression(ok: string): Promise<void>;
  /** Gives the connection's place in the connection counts back, told to every worker (before the last reply). */
  freeSlot(): Promise<void>;
  end(bye?: string): Promise<void>;
  readonly closed: boolean;
}

/** What a command's parser may know besides its arguments: nothing of the session's state. */
export interface ParseContext {
  /** The command came as `UID <verb>`. */
  uid: boolean;
  /** Mailbox names are UTF-8 on the wire (IMAP4rev2 or UTF8=ACCEPT enabled), not modified UTF-7. */
  utf8Names: boolean;
}

/**
 * One IMAP command, in three steps: `parse` turns the argument tokens into a typed value (pure,
 * table-tested beside each command; a BadArgument becomes the BAD), `run` does the command's
 * logic through the store ports on that value, and what it answers is built by untagged.ts
 * (untagged data) and replies.ts (the tagged completion).
 */
export interface CommandSpec<A = unknown> {
  /** Wire syntax, quoted in the BAD for a malformed command. */
  syntax: string;
  states: readonly ImapState[];
  /** Argument count bounds (after the verb). */
  args: [min: number, max: number];
  /** May be prefixed with UID (RFC 3501 §6.4.8). */
  uid?: boolean;
  /** Only on a connection without TLS (STARTTLS). */
  insecureOnly?: boolean;
  /**
   * RFC 3501 §7.4.1: EXPUNGE responses must not be sent during FETCH, STORE and SEARCH (their
   * UID forms excepted), so the sequence numbers the client holds stay valid.
   */
  holdExpunge?: boolean;
  /**
   * The command changes the selected mailbox at most through the view's own updates (STORE,
   * FETCH's implicit \Seen; IDLE sends what it hears as it comes): the refresh before it leaves
   * the view current, so the one after it is left out unless a change was heard meanwhile. A
   * change no notification has told of yet is announced by the next command, which RFC 3501 §7
   * allows (only what the server has seen during a command must be sent, §5.2).
   */
  readsView?: boolean;
  /** The arguments (after the verb) as this command's typed value; throws BadArgument. */
  parse(args: Token[], ctx: ParseContext): A;
  /** The tagged completion; null when the handler answered the tag itself (LOGOUT, STARTTLS). */
  run(s: ImapSession, args: A, cmd: Command): Promise<Completion | null>;
}

/** A command spec with its argument type inferred from `parse` (so `run` is checked against it). */
export const command = <A>(spec: CommandSpec<A>): CommandSpec<A> => spec;
