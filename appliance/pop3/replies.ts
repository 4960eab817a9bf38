/**
 * Every POP3 reply the appliance sends, built in one place (DESIGN.md conventions 5 and 12).
 * Response codes are RFC 2449 §8 / RFC 3206: [AUTH], [SYS/TEMP], [SYS/PERM], [IN-USE].
 */
import type { Verdict } from '../../core/verdict.ts';

export type RespCode = 'AUTH' | 'SYS/TEMP' | 'SYS/PERM' | 'IN-USE';

const CRLF = '\r\n';

/** `+OK text` */
export function ok(text = ''): string {
  return text ? `+OK ${text}${CRLF}` : `+OK${CRLF}`;
}

/** `-ERR [CODE] text` */
export function err(text: string, code?: RespCode): string {
  return `-ERR ${code ? `[${code}] ` : ''}${text}${CRLF}`;
}

/** A multi-line reply of short lines (LIST, UIDL, CAPA): RFC 1939 §3 byte-stuffing and `.` end. */
export function multiline(first: string, lines: readonly string[]): string {
  return ok(first) + lines.map((l) => (l.startsWith('.') ? `.${l}` : l) + CRLF).join('') + `.${CRLF}`;
}

/** SASL continuation (RFC 5034 §4): `+ <base64 challenge>`. */
export function continuation(challenge = ''): string {
  return `+ ${challenge}${CRLF}`;
}

/** Maps a refusing hook verdict to the reply; a temporary one carries [SYS/TEMP]. */
export function verdictReply(v: Extract<Verdict, { kind: 'reject' | 'disconnect' }>, code?: RespCode): string {
  return err(v.message, code ?? (v.permanent ? undefined : 'SYS/TEMP'));
}

const count = (n: number, octets: number) => `${n} messages (${octets} octets)`;

export const R = {
  greeting: (host: string, timestamp: string) => ok(`${host} POP3 ready ${timestamp}`),
  tooManySessions: () => err('too many sessions', 'SYS/TEMP'),
  tooManyFromIp: () => err('Too many connections from your IP, try again later', 'SYS/TEMP'),
  busy: () => err('Server busy, try again later', 'SYS/TEMP'),
  tooManyUserIp: () => err('Too many sessions for this user from your IP', 'IN-USE'),
  inactivity: () => err('Disconnected for inactivity'),
  lineDeadline: () => err('Command line not completed in time, closing connection'),
  shuttingDown: () => err('Server shutting down', 'SYS/TEMP'),
  internal: () => err('Internal error', 'SYS/TEMP'),

  lineTooLong: () => err('Line too long'),
  lineTooLongClosing: () => err('Line too long, closing connection'),
  unknownCommand: () => err('Unknown command'),
  tooManyUnknown: () => err('Too many unknown commands, closing connection'),
  wrongState: (verb: string, state: string) => err(`${verb} is not valid in the ${state} state`),
  syntax: (syntax: string) => err(`Syntax: ${syntax}`),
  plaintextDisallowed: () => err('Plaintext authentication disallowed on non-secure connection', 'AUTH'),

  alreadySecure: () => err('Already using TLS'),
  stlsBegin: () => ok('Begin TLS negotiation'),

  userAccepted: () => ok('Send PASS'),
  userFirst: () => err('Send USER first'),
  authFailed: () => err('Authentication failed', 'AUTH'),
  authBusy: () => err('Too many logins in progress, try again later', 'SYS/TEMP'),
  authFailedClosing: () => err('Authentication failed, closing connection', 'AUTH'),
  pop3Disabled: () => err('POP3 access is disabled for this account', 'AUTH'),
  apopRequired: () => err('This account must log in with APOP', 'AUTH'),
  authRefused: (v: Extract<Verdict, { kind: 'reject' | 'disconnect' }>) => verdictReply(v, v.permanent ? 'AUTH' : 'SYS/TEMP'),
  inUse: () => err('Maildrop is locked by another session', 'IN-USE'),
  maildropFailed: () => err('Cannot open the maildrop', 'SYS/TEMP'),
  loggedIn: (n: number, octets: number) => ok(`Logged in, maildrop has ${count(n, octets)}`),

  saslMechanisms: (mechs: readonly string[]) => multiline('Supported SASL mechanisms follow', mechs),
  saslUnsupported: () => err('Unsupported authentication mechanism'),
  saslCancelled: () => err('Authentication cancelled', 'AUTH'),
  saslMalformed: () => err('Malformed SASL response', 'AUTH'),

  capabilities: (caps: readonly string[]) => multiline('Capability list follows', caps),
  noop: () => ok(),
  stat: (n: number, octets: number) => ok(`${n} ${octets}`),
  scanListing: (n: number, octets: number) => ok(`${count(n, octets)}`),
  scanLine: (msg: number, size: number) => ok(`${msg} ${size}`),
  listAll: (n: number, octets: number, lines: readonly string[]) => multiline(count(n, octets), lines),
  uidLine: (msg: number, uid: string) => ok(`${msg} ${uid}`),
  uidlAll: (lines: readonly string[]) => multiline('Unique-ID listing follows', lines),
  noSuchMessage: () => err('No such message'),
  /** RFC 3206 §4: SYS/PERM, retrying will not help. */
  messageGone: (msg: number) => err(`Message ${msg} was deleted by another session`, 'SYS/PERM'),
  alreadyDeleted: (msg: number) => err(`Message ${msg} already deleted`),
  deleted: (msg: number) => ok(`Message ${msg} deleted`),
  messageFollows: (size: number) => ok(`${size} octets`),
  topFollows: () => ok('Top of message follows'),
  reset: (n: number, octets: number) => ok(`Maildrop has ${count(n, octets)}`),

  bye: (host: string) => ok(`${host} POP3 server signing off`),
  byeUpdated: (host: string, removed: number) => ok(`${host} POP3 server signing off (${removed} messages deleted)`),
  expungeFailed: () => err('Some deleted messages not removed', 'SYS/TEMP'),
} as const;
