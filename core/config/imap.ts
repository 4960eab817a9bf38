/** The `imap` section of the configuration (IM-1, RX-5, RX-9). */
import { Type } from '@sinclair/typebox';

const Listener = Type.String({
  pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}\\*?$',
  description: 'host:port, with a trailing * for implicit TLS (e.g. "0.0.0.0:993*")',
});

export const ImapConfig = Type.Object({
  /** IM-1: IMAP with STARTTLS, and implicit TLS (RFC 8314) with a trailing `*`. */
  listen: Type.Array(Listener, { default: ['127.0.0.1:1143', '127.0.0.1:1993*'] }),
  /** RX-5: concurrent sessions, 0 = unlimited. */
  maxSessions: Type.Integer({ minimum: 0, default: 1000 }),
  /** Concurrent connections from one client IP not yet logged in, 0 = unlimited. */
  maxSessionsPerIp: Type.Integer({ minimum: 0, default: 20 }),
  /** Logged-in sessions of one user from one IP (Dovecot mail_max_userip_connections), 0 = unlimited. */
  maxUserIpSessions: Type.Integer({ minimum: 0, default: 10 }),
  /** Time to send one command line, from its first byte (Postfix smtpd_per_record_deadline). */
  commandDeadlineMs: Type.Integer({ minimum: 1000, default: 300_000 }),
  /** RX-9 (the seed's hiddenimapip.dat): local addresses on which sessions are refused. */
  hiddenIps: Type.Array(Type.String(), { default: [] }),
  /** LOGIN / AUTHENTICATE PLAIN without TLS; off = LOGINDISABLED on cleartext (RFC 3501 §6.2.3). */
  allowInsecureAuth: Type.Boolean({ default: false }),
  /** APPENDLIMIT (RFC 7889) and the largest literal accepted, in bytes. */
  maxMessageSize: Type.Integer({ minimum: 1024, default: 50 * 1024 * 1024 }),
  /**
   * A literal (APPEND's message) over this size is written to a spool file under the data
   * directory as it arrives instead of being held in memory.
   */
  spoolThreshold: Type.Integer({ minimum: 0, default: 1024 * 1024 }),
  /** Longest command line (without literals), in bytes. */
  maxLineOctets: Type.Integer({ minimum: 1024, default: 64 * 1024 }),
  /** Commands answered BAD in one session before it is closed with BYE (0 is not allowed). */
  maxBadCommands: Type.Integer({ minimum: 1, default: 20 }),
  /** RFC 3501 §5.4: the autologout timer is at least 30 minutes. */
  socketTimeoutMs: Type.Integer({ minimum: 1000, default: 30 * 60_000 }),
}, { default: {} });
