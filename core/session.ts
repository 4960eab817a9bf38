/**
 * The Connection / Transaction model shared by every protocol listener and every plugin.
 */
import { randomHex } from './random-hex.ts';
import type { Logger } from './log.ts';
import type { OutboundItem } from './store/ports.ts';
import type { MessageContent } from './store/content.ts';

/**
 * Per-plugin session state. Empty here; each plugin adds its own typed slot by module
 * augmentation:
 *   declare module '../../core/session.ts' { interface SessionState { myPlugin: { hits: number } } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface SessionState {}

export type Protocol = 'smtp' | 'pop3' | 'imap';

export interface AuthUser {
  /** The login as typed by the client. */
  login: string;
  /** Canonical address of the account (user@domain). */
  address: string;
  accountId: number;
}

export interface Connection {
  readonly id: string;
  readonly protocol: Protocol;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Reverse-DNS name of the peer when known. */
  remoteHost?: string;
  secure: boolean;
  /**
   * An SMTP session on a message submission listener (RFC 6409, `submission.listen`): a mail
   * client, which must authenticate before MAIL and send as its own account.
   */
  readonly submission?: boolean;
  helo?: { verb: 'HELO' | 'EHLO'; host: string };
  user?: AuthUser;
  /**
   * SMTP AUTH with a mailing list's post password (ID = list name, ML-2): the list's key. It
   * is not an account login: it only lets this session post to that list, never relay.
   */
  listPoster?: string;
  /** True when this session may send to non-local recipients. */
  relaying: boolean;
  transaction?: Transaction;
  /** Typed state of each plugin, keyed by plugin (see SessionState). */
  state: Partial<SessionState>;
  /** Untyped bag for the Haraka shim (connection.notes). */
  notes: Record<string, unknown>;
  log: Logger;
}

export interface EnvelopeAddress {
  /** user@domain as given, '' for the null sender <>. */
  address: string;
  /** ESMTP parameters (SIZE, BODY, ...). */
  params: Record<string, string | boolean>;
}

export interface Recipient extends EnvelopeAddress {
  /** Filled by local resolution: the account that receives it, when local. */
  accountId?: number;
  /** Envelope recipient after alias rewriting (AL-1 ,0/,1). */
  deliveredTo?: string;
  /** Remote address the message goes to (relay, or an alias to another domain). */
  forwardTo?: string;
  local: boolean;
  /**
   * Set by a plugin's rcpt hook that takes this local address itself (e.g. 'mailing-list'):
   * the listener accepts it without local resolution, and the message is not stored or
   * queued for it (the plugin does what the address means, in its queue hook).
   */
  handledBy?: string;
}

export interface Transaction {
  readonly id: string;
  mailFrom: EnvelopeAddress;
  rcptTo: Recipient[];
  /** Headers the appliance or plugins add on top of the message, in order. */
  addedHeaders: { name: string; value: string }[];
  removedHeaders: string[];
  /**
   * Messages this transaction causes (list distribution, notices), pushed by plugins up to
   * the `queue` hook and committed together with the message, before the 250.
   */
  outbound?: OutboundItem[];
  /**
   * Message bytes once DATA has ended (CRLF line endings, dot-unstuffed), when the message is
   * held in memory (up to smtp.spoolThreshold). A larger message is spooled to disk and only
   * `content` is set: read its header with `content.header()`, stream it with
   * `content.stream()`, or load it with `wholeMessage(tx)` where a plugin truly needs it all.
   * A plugin that replaces the message sets `message` (the stored copy is then built from it).
   */
  message?: Buffer;
  /**
   * Results of sender authentication, when a plugin checked it (mail-auth: RFC 7208 SPF and
   * RFC 7489 DMARC result keywords, e.g. 'pass', 'fail', 'softfail', 'none'). Plugins that would
   * answer the sender (auto-replies, list notices) stay quiet when a check failed: the sender
   * is likely forged (backscatter).
   */
  authentication?: { spf: string | null; dmarc: string | null };
  /** The message as received, in memory or spooled (set with `message` at DATA end). */
  content?: MessageContent;
  /**
   * Relaying granted (or withdrawn) for this transaction only, by a plugin that set it while the
   * transaction ran (Haraka: `connection.relaying` set during a transaction is the transaction's).
   * Unset: the connection's `relaying` applies. Read it through `isRelaying`.
   */
  relaying?: boolean;
  state: Partial<SessionState>;
  notes: Record<string, unknown>;
}

/** Whether this session may relay now: the transaction's own grant, else the connection's. */
export function isRelaying(conn: Pick<Connection, 'relaying'>, tx?: Pick<Transaction, 'relaying'>): boolean {
  return tx?.relaying ?? conn.relaying;
}

/** Why the sender is likely forged (SPF or DMARC failed, see Transaction.authentication), or null. */
export function failedSenderAuthentication(tx: Pick<Transaction, 'authentication'>): string | null {
  const a = tx.authentication;
  if (a?.spf === 'fail') return 'SPF failed';
  if (a?.dmarc === 'fail') return 'DMARC failed';
  return null;
}

/** A queue id / transaction id: 12 upper-case hex digits (the id a client sees in `250 … queued as`). */
export function newTransactionId(): string {
  return randomHex(6).toUpperCase();
}

/**
 * The id of a message caused by another (a forwarded copy, an auto-reply, a bounce): the parent's
 * id, a dot and 6 random hex digits, so that searching the parent's id finds every descendant.
 */
export function derivedTransactionId(parent: string): string {
  return `${parent}.${randomHex(3).toUpperCase()}`;
}

/** A new transaction from `mailFrom` (rcptTo empty, nothing added), with a new id unless given one. */
export function createTransaction(mailFrom: EnvelopeAddress, id: string = newTransactionId()): Transaction {
  return { id, mailFrom, rcptTo: [], addedHeaders: [], removedHeaders: [], state: {}, notes: {} };
}

/** The fields a listener knows of a new connection; the rest start empty (not relaying, no user). */
export type ConnectionInit = Pick<Connection, 'id' | 'protocol' | 'remoteAddress' | 'remotePort' | 'localAddress' | 'localPort' | 'log'> &
  Partial<Pick<Connection, 'secure' | 'remoteHost' | 'submission'>>;

export function createConnection(init: ConnectionInit): Connection {
  return { secure: false, relaying: false, state: {}, notes: {}, ...init };
}
