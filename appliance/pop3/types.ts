/**
 * Types shared by the POP3 listener, its session and its command modules. Commands see the
 * session only through `Pop3Session`, never the socket.
 */
import type tls from 'node:tls';
import type { AppConfig } from '../../core/config/schema.ts';
import type { HookRunner } from '../../core/hooks.ts';
import type { Logger } from '../../core/log.ts';
import type { AuthUser, Connection } from '../../core/session.ts';
import type { Stores } from '../../core/store/ports.ts';
import type { Maildrop, MaildropLocks } from './maildrop.ts';
import type { AuthGuard } from '../auth/guard.ts';
import type { Ticket } from '../net/connection-gate.ts';

/** RFC 1939 §3. UPDATE is entered only inside QUIT, so no command is dispatched in it. */
export type Pop3State = 'AUTHORIZATION' | 'TRANSACTION';

/** Protocol limits; the defaults are in DEFAULT_LIMITS (index.ts). */
export interface Pop3Limits {
  /** RFC 2449 §4: a command line is at most 255 octets (the line end is not counted here). */
  maxLineOctets: number;
  /** An unterminated line longer than this drops the connection (it is discarded, never buffered). */
  maxDiscardOctets: number;
  /** Overlong lines answered with -ERR before the connection is dropped. */
  maxOverlongLines: number;
  /** Unknown commands answered with -ERR before the connection is dropped. */
  maxUnknownCommands: number;
  /** Failed logins before the connection is dropped. */
  maxAuthFailures: number;
  /** A failed login is answered after this delay (slows password guessing). */
  authFailureDelayMs: number;
  /** Pipelined commands queued before the socket is paused (RFC 2449 PIPELINING). */
  maxQueuedCommands: number;
}

/** What every session of one service shares. */
export interface Pop3Env {
  config: AppConfig['pop3'];
  stores: Stores;
  hooks: HookRunner;
  hostname: string;
  secureContext: tls.SecureContext;
  locks: MaildropLocks;
  /** The appliance's login guard (penalty per IP and login, hashing cap). */
  auth: AuthGuard;
  limits: Pop3Limits;
  log: Logger;
}

/** The session as command handlers see it. */
export interface Pop3Session {
  readonly env: Pop3Env;
  readonly conn: Connection;
  /** The connection's place in the gate's counts (per IP, then per user and IP). */
  readonly ticket?: Ticket;
  readonly state: Pop3State;
  /** RFC 1939 §7: the `<pid.random@host>` of the greeting, the APOP challenge. */
  readonly apopTimestamp: string;
  /** Login given by USER, waiting for PASS. */
  pendingUser: string | null;
  authFailures: number;
  readonly maildrop: Maildrop | null;
  /** The maildrop of a TRANSACTION-state session (the dispatcher guarantees the state). */
  drop(): Maildrop;
  /** True when USER/PASS and AUTH PLAIN may be used on this connection. */
  plaintextAuthAllowed(): boolean;
  /** Sends bytes; resolves when the socket took them (back-pressure) or closed. */
  write(data: string | Buffer): Promise<void>;
  /** Next client line inside a command (SASL continuation); null on close or an overlong line. */
  readContinuation(): Promise<string | null>;
  /** Keeps the maildrop lock until the session closes. */
  holdLock(release: () => void): void;
  enterTransaction(user: AuthUser, maildrop: Maildrop): void;
  /** RFC 2595 §4: sends `reply`, discards pipelined input, and negotiates TLS on the same socket. */
  startTls(reply: string): Promise<void>;
  /** Sends an optional last reply and closes the connection. */
  end(reply?: string): Promise<void>;
  readonly closed: boolean;
}

/**
 * Argument shapes, validated by the dispatcher before a handler runs:
 * msg/count = decimal number, word = one token, digest = 32 hex digits (APOP),
 * rest = the remainder of the line, spaces included (PASS, RFC 1939 §7 note).
 */
export type ArgKind = 'msg' | 'count' | 'word' | 'digest' | 'rest';

export interface CommandSpec {
  /** Wire syntax, quoted in the -ERR for a malformed command. */
  syntax: string;
  states: readonly Pop3State[];
  args: readonly ArgKind[];
  /** How many trailing arguments may be left out. */
  optional?: number;
  /** Carries a clear-text password: refused without TLS unless pop3.allowInsecureAuth. */
  plaintextAuth?: boolean;
  /** Only before TLS (STLS). */
  insecureOnly?: boolean;
  run(s: Pop3Session, args: string[]): Promise<void>;
}
