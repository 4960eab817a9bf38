/**
 * Every SMTP reply the appliance composes, and the one mapping from a core Verdict or a
 * ReplyError to an SMTP reply (DESIGN.md conventions 5, 7 and 12).
 */
import type { Verdict } from '../../core/verdict.ts';
import { ENHANCED, ReplyError } from '../../core/errors.ts';
import type { LimitViolation } from './message-limits.ts';

export interface SmtpReply {
  code: number;
  enhanced: string;
  message: string;
  disconnect?: boolean;
}

/** Reply texts, by stable name. */
export const REPLIES = {
  relayDenied: () => new ReplyError(554, ENHANCED.RELAY_DENIED, 'Relay access denied', 'relay-denied'),
  noSuchUser: (addr: string) => new ReplyError(550, ENHANCED.NO_SUCH_USER, `<${addr}>: Recipient address rejected: no such user here`, 'no-such-user'),
  mailboxFull: (addr: string) => new ReplyError(452, ENHANCED.MAILBOX_FULL, `<${addr}>: mailbox full, try again later`, 'mailbox-full'),
  overQuota: (addr: string) => new ReplyError(552, ENHANCED.MAILBOX_FULL_PERMANENT, `<${addr}>: message would exceed the mailbox size limit`, 'over-quota'),
  someOverQuota: () => new ReplyError(452, ENHANCED.MAILBOX_FULL, 'A recipient mailbox is full, try again later', 'over-quota'),
  bareLf: () => new ReplyError(550, ENHANCED.SYNTAX_ERROR, 'Message refused: bare <LF> line ending (RFC 5321 §2.3.8 requires <CR><LF>)', 'bare-lf'),
  /** A message over a `message.*` limit: 552 5.3.4 for sizes and counts of header, 554 5.6.0 for MIME structure. */
  messageLimit: (v: LimitViolation) => {
    const text = {
      maxHeaderSize: `Message refused: a header field is longer than ${v.max} bytes (message.maxHeaderSize)`,
      maxHeaderSectionSize: `Message refused: the message header is larger than ${v.max} bytes (message.maxHeaderSectionSize)`,
      maxHeaderCount: `Message refused: more than ${v.max} header fields (message.maxHeaderCount)`,
      maxMimeParts: `Message refused: more than ${v.max} MIME parts (message.maxMimeParts)`,
      maxMimeDepth: `Message refused: MIME parts nested deeper than ${v.max} levels (message.maxMimeDepth)`,
    }[v.limit];
    const mime = v.limit === 'maxMimeParts' || v.limit === 'maxMimeDepth';
    return new ReplyError(mime ? 554 : 552, mime ? ENHANCED.BAD_MESSAGE : ENHANCED.MESSAGE_TOO_BIG, text, 'message-limit');
  },
  bareCr: () => new ReplyError(550, ENHANCED.SYNTAX_ERROR, 'Message refused: bare <CR> (a CR not followed by LF; RFC 5321 §2.3.8 requires <CR><LF>)', 'bare-cr'),
  /** RFC 6531 §3.5: a non-ASCII address needs the SMTPUTF8 parameter of MAIL FROM. */
  nonAsciiSender: (addr: string) => new ReplyError(553, ENHANCED.NON_ASCII_ADDRESS, `<${addr}>: non-ASCII address not permitted without the SMTPUTF8 parameter (RFC 6531)`, 'non-ascii-sender'),
  nonAsciiRecipient: (addr: string) => new ReplyError(553, ENHANCED.NON_ASCII_ADDRESS, `<${addr}>: non-ASCII recipient not permitted in a transaction without SMTPUTF8 (RFC 6531)`, 'non-ascii-recipient'),
  invalidUtf8: (what: 'sender' | 'recipient') => ({ code: 501, enhanced: what === 'sender' ? ENHANCED.BAD_SENDER_SYNTAX : ENHANCED.BAD_DESTINATION_SYNTAX, message: `Bad ${what} address syntax: the address is not valid UTF-8` }),
  /** RFC 4954 §4: AUTH is not permitted during a mail transaction. */
  authInTransaction: () => ({ code: 503, enhanced: ENHANCED.BAD_SEQUENCE, message: 'AUTH not permitted during a mail transaction' }),
  /** RFC 4954 §6 / RFC 6409 §4.3: MAIL on a submission listener before AUTH. */
  authRequired: () => new ReplyError(530, ENHANCED.AUTH_REQUIRED, 'Authentication required', 'auth-required'),
  /** Postfix reject_sender_login_mismatch (smtp.senderLoginMatch). */
  senderLoginMismatch: (addr: string, user: string) => new ReplyError(553, ENHANCED.POLICY, `<${addr}>: Sender address rejected: not owned by user ${user}`, 'sender-login-mismatch'),
  /** RFC 3463 4.3.1 mail system full (Postfix: 452 4.3.1 Insufficient system storage). */
  diskFull: () => new ReplyError(452, ENHANCED.SYSTEM_FULL, 'Insufficient system storage, try again later', 'disk-full'),
  storeFailed: () => new ReplyError(451, ENHANCED.SYSTEM_ERROR, 'Local error in processing, message not accepted, try again later', 'store-failed'),
  authFailed: () => new ReplyError(535, ENHANCED.AUTH_INVALID, 'Authentication credentials invalid', 'auth-failed'),
  /** RFC 4954 §6: 454 4.7.0 Temporary authentication failure (the password-hashing queue is full). */
  authBusy: () => new ReplyError(454, ENHANCED.AUTH_TEMP, 'Temporary authentication failure, try again later', 'auth-busy'),
  vrfyDisabled: () => new ReplyError(502, '5.5.1', 'VRFY command is disabled', 'vrfy-disabled'),
  expnDisabled: () => new ReplyError(502, '5.5.1', 'EXPN command is disabled', 'expn-disabled'),
  cannotVerify: () => ({ code: 252, enhanced: '2.1.5', message: 'Cannot VRFY user, but will accept message and attempt delivery' }),
  noService: () => ({ code: 554, enhanced: '5.3.2', message: 'No SMTP service here' }),
  /** Written to the socket before smtp-server sees it (connection-gate.ts): per-IP limit or the fd reserve. */
  tooManyConnections: (host: string, fromIp: boolean) => `421 4.7.0 ${host} Error: too many connections${fromIp ? ' from your IP' : ''}, try again later`,
  queued: (id: string) => `Ok: queued as ${id}`,
} as const;

const DEFAULT_CODES = { permanent: 550, temporary: 451, disconnectPermanent: 554, disconnectTemporary: 421 };

/** The single Verdict -> SMTP reply mapping. Returns null for `next` and `accept`. */
export function verdictToReply(v: Verdict): SmtpReply | null {
  if (v.kind === 'next' || v.kind === 'accept') return null;
  const disconnect = v.kind === 'disconnect';
  const code = v.code ?? (disconnect
    ? (v.permanent ? DEFAULT_CODES.disconnectPermanent : DEFAULT_CODES.disconnectTemporary)
    : (v.permanent ? DEFAULT_CODES.permanent : DEFAULT_CODES.temporary));
  const enhanced = v.enhanced ?? (code >= 500 ? '5.7.1' : '4.7.1');
  return { code, enhanced, message: v.message, disconnect };
}

/** An Error as smtp-server's callbacks expect it (responseCode, message with the enhanced code). */
export function toSmtpError(reply: SmtpReply | ReplyError): Error & { responseCode: number } {
  const err = new Error(`${reply.enhanced} ${reply.message}`) as Error & { responseCode: number };
  err.responseCode = reply.code;
  return err;
}
