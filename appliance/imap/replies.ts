/**
 * Every IMAP response text the appliance sends, built in one place (DESIGN.md conventions 5
 * and 12), and the CAPABILITY list, which depends on the session's state and TLS.
 */
import type { Verdict } from '../../core/verdict.ts';
import type { Completion, ImapSession } from './types.ts';

export const ok = (text: string, code?: string): Completion => ({ status: 'OK', text, code });
export const no = (text: string, code?: string): Completion => ({ status: 'NO', text, code });
export const bad = (text: string, code?: string): Completion => ({ status: 'BAD', text, code });

export function tagged(tag: string, c: Completion): string {
  return `${tag} ${c.status} ${c.code ? `[${c.code}] ` : ''}${c.text}\r\n`;
}

/** Capabilities (RFC 3501 §6.1.1); only what is implemented and tested is listed. */
export function capabilities(s: ImapSession): string[] {
  const caps = ['IMAP4rev1', 'IMAP4rev2', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'NAMESPACE', 'UNSELECT', 'UIDPLUS', 'MOVE',
    'SPECIAL-USE', 'CHILDREN', 'CONDSTORE', 'QRESYNC', 'QUOTA', 'QUOTA=RES-STORAGE', 'ESEARCH', 'SORT', 'THREAD=ORDEREDSUBJECT', 'THREAD=REFERENCES', 'ACL', 'RIGHTS=kxte', 'BINARY', 'LIST-EXTENDED', 'LIST-STATUS', 'SEARCHRES', 'STATUS=SIZE', 'OBJECTID', 'UTF8=ACCEPT', `APPENDLIMIT=${s.env.config.maxMessageSize}`];
  // RFC 4978 §3: offered once it can be used (after authentication), until it is active
  if (s.state !== 'notauth' && !s.compressed) caps.push('COMPRESS=DEFLATE');
  if (s.state === 'notauth') {
    if (!s.conn.secure) caps.push('STARTTLS');
    if (s.plaintextAuthAllowed()) caps.push('AUTH=PLAIN', 'AUTH=LOGIN');
    else caps.push('LOGINDISABLED');
  }
  return caps;
}

export const R = {
  greeting: (host: string, caps: string[]) => `* OK [CAPABILITY ${caps.join(' ')}] ${host} IMAP4rev1 ready\r\n`,
  tooManySessions: () => '* BYE [UNAVAILABLE] Too many sessions\r\n',
  tooManyFromIp: () => '* BYE [UNAVAILABLE] Too many connections from your IP, try again later\r\n',
  busy: () => '* BYE [UNAVAILABLE] Server busy, try again later\r\n',
  refused: (v: Extract<Verdict, { kind: 'reject' | 'disconnect' }>) => `* BYE ${v.message}\r\n`,
  inactivity: () => '* BYE Autologout; idle for too long\r\n',
  lineDeadline: () => '* BYE Command line not completed in time\r\n',
  shuttingDown: () => '* BYE [UNAVAILABLE] Server shutting down\r\n',
  lineTooLong: () => '* BYE [TOOBIG] Command line too long\r\n',
  literalTooLong: () => '* BYE [TOOBIG] Literal too large\r\n',
  literalRefused: (tag: string) => `${tag} NO [TOOBIG] Literal too large\r\n`,
  continueLiteral: () => '+ Ready for literal data\r\n',
  tooManyBad: () => '* BYE Too many invalid commands\r\n',
  authFailedClosing: () => '* BYE Too many authentication failures\r\n',
  bye: () => '* BYE Logging out\r\n',
  untaggedBad: (text: string) => `* BAD ${text}\r\n`,
  badCompressedData: () => '* BYE Invalid compressed data\r\n',
  mailboxGone: () => '* BYE [CLOSED] The selected mailbox was deleted\r\n',

  unknownCommand: () => bad('Unknown command'),
  syntax: (syntax: string) => bad(`Syntax: ${syntax}`),
  wrongState: (verb: string) => bad(`${verb} is not valid in this state`),
  alreadySecure: () => bad('TLS is already active'),
  internal: () => no('Internal error', 'SERVERBUG'),
  done: (verb: string) => ok(`${verb} completed`),

  startTls: () => ok('Begin TLS negotiation now'),
  loginDisabled: () => no('Plaintext authentication disallowed on non-secure connection', 'PRIVACYREQUIRED'),
  authFailed: () => no('Authentication failed', 'AUTHENTICATIONFAILED'),
  authBusy: () => no('Too many logins in progress, try again later', 'UNAVAILABLE'),
  tooManyUserIp: () => no('Too many sessions for this user from your IP', 'LIMIT'),
  imapDisabled: () => no('IMAP access is disabled for this account', 'CONTACTADMIN'),
  authRefused: (v: Extract<Verdict, { kind: 'reject' | 'disconnect' }>) => no(v.message, v.permanent ? 'AUTHENTICATIONFAILED' : 'UNAVAILABLE'),
  loggedIn: (caps: string[]) => ok('Logged in', `CAPABILITY ${caps.join(' ')}`),
  saslUnsupported: () => no('Unsupported authentication mechanism', 'CANNOT'),
  saslCancelled: () => bad('Authentication cancelled'),
  saslMalformed: () => bad('Malformed SASL response'),

  noMailbox: () => no('Mailbox does not exist', 'NONEXISTENT'),
  mailboxExists: () => no('Mailbox already exists', 'ALREADYEXISTS'),
  badMailboxName: () => no('Invalid mailbox name: no empty, "." or ".." levels, wildcards or control characters', 'CANNOT'),
  cannotDeleteInbox: () => no('INBOX cannot be deleted', 'CANNOT'),
  hasChildren: () => no('Mailbox has children', 'HASCHILDREN'),
  readOnly: () => no('Mailbox is read-only', 'READ-ONLY'),
  expungeIssued: () => no('Some of the requested messages no longer exist', 'EXPUNGEISSUED'),
  noPermission: () => no('Not allowed in a shared folder', 'NOPERM'),
  noDestination: () => no('Destination mailbox does not exist', 'TRYCREATE'),
  tooBig: () => no('Message too large', 'TOOBIG'),
  /** RFC 5530 OVERQUOTA, as Dovecot answers ENOSPC ("Not enough disk space"). */
  diskFull: () => no('Not enough disk space on the server, try again later', 'OVERQUOTA'),
  overQuota: () => no('Mailbox is full', 'OVERQUOTA'),
  badDate: () => bad('Invalid date-time'),
  badSet: () => bad('Invalid sequence set'),
  unknownCte: () => no('Unknown Content-Transfer-Encoding', 'UNKNOWN-CTE'),
  badCharset: () => no('Unsupported charset', 'BADCHARSET (UTF-8 US-ASCII)'),
  /** RFC 6855 §3: no CHARSET in SEARCH once UTF8=ACCEPT is enabled. */
  charsetAfterUtf8: () => bad('SEARCH CHARSET is not allowed after ENABLE UTF8=ACCEPT (RFC 6855 §3)'),
  /** RFC 6855 §4: the UTF8 APPEND data item needs UTF8=ACCEPT enabled. */
  utf8AppendNotEnabled: () => bad('APPEND UTF8 (...) needs ENABLE UTF8=ACCEPT (RFC 6855 §4)'),
  noQuotaRoot: () => no('No such quota root', 'NONEXISTENT'),
  idling: () => '+ idling\r\n',
  /** A SASL challenge (RFC 3501 §7.5 continuation), base64 of `text`. */
  saslChallenge: (text: string) => `+ ${Buffer.from(text).toString('base64')}\r\n`,
  idleBad: () => bad('Expected DONE'),
  compressionActive: () => no('Compression is already active', 'COMPRESSIONACTIVE'),
  compressOk: () => ok('DEFLATE active'),
  /** RFC 8474 §4.1: CREATE's tagged OK names the new mailbox's MAILBOXID. */
  created: (objectId: string) => ok('CREATE completed', `MAILBOXID (${objectId})`),
  selected: (readOnly: boolean) => ok(`${readOnly ? 'EXAMINE' : 'SELECT'} completed`, readOnly ? 'READ-ONLY' : 'READ-WRITE'),
} as const;
