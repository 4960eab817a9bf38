/**
 * TypeBox schema of the whole configuration (DESIGN.md convention 9). The static type
 * AppConfig is derived from it, so mailserver.config.ts is checked by the compiler and,
 * at start-up, by the same schema at run time.
 */
import os from 'node:os';
import { Type, type Static } from '@sinclair/typebox';
import { ImapConfig } from './imap.ts';
import { DeliveryConfig } from './delivery.ts';
import { MessageConfig } from './message.ts';
import { AuthConfig } from './auth.ts';
import { ConsoleConfig } from './console.ts';
import { AutoconfigConfig, MetricsConfig } from './monitoring.ts';

/** `host:port`, `[v6]:port`; a trailing `*` means implicit TLS (the seed's `465*`). */
export const ListenerSpec = Type.String({
  pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}\\*?$',
  description: 'host:port, with a trailing * for implicit TLS (e.g. "0.0.0.0:465*")',
});

const Bytes = Type.Integer({ minimum: 0, description: 'bytes, 0 = unlimited' });

export const AuthMethod = Type.Union([Type.Literal('PLAIN'), Type.Literal('LOGIN'), Type.Literal('CRAM-MD5')]);

export const SmtpConfig = Type.Object({
  listen: Type.Array(ListenerSpec, { default: ['127.0.0.1:2525', '127.0.0.1:2465*'] }),
  /** Text after "<hostname> ESMTP" in the 220 greeting. */
  banner: Type.String({ default: '' }),
  /** RX-9: local addresses on which sessions are refused (so only a cluster's virtual IP answers). */
  hiddenIps: Type.Array(Type.String(), { default: [] }),
  /** RX-5: concurrent sessions, 0 = unlimited (new ones get 421 4.7.0). */
  maxSessions: Type.Integer({ minimum: 0, default: 1000 }),
  /** Concurrent sessions from one client IP, 0 = unlimited (Postfix smtpd_client_connection_count_limit). */
  maxSessionsPerIp: Type.Integer({ minimum: 0, default: 50 }),
  /** Time to send one command line, or one line inside DATA (Postfix smtpd_per_record_deadline); then 421 4.4.2. */
  commandDeadlineMs: Type.Integer({ minimum: 1000, default: 300_000 }),
  /** Time from the 354 to the final dot of one DATA; then 421 4.4.2. */
  dataDeadlineMs: Type.Integer({ minimum: 1000, default: 600_000 }),
  /** Replies >= 400 in a session after which each further command waits errorSleepMs (Postfix smtpd_soft_error_limit). */
  softErrorLimit: Type.Integer({ minimum: 1, default: 10 }),
  /** Replies >= 400 in a session after which it is closed with 421 (Postfix smtpd_hard_error_limit). */
  hardErrorLimit: Type.Integer({ minimum: 1, default: 20 }),
  /** Postfix smtpd_error_sleep_time. */
  errorSleepMs: Type.Integer({ minimum: 0, default: 1000 }),
  /** RX-7: message size limit, announced with SIZE (RFC 1870). */
  maxMessageSize: Type.Integer({ minimum: 0, default: 0 }),
  /**
   * A message being received (DATA) stays in memory up to this size; a larger one is written to
   * a spool file under the data directory as it arrives, so memory per session does not grow
   * with the message (IMAP APPEND uses imap.spoolThreshold).
   */
  spoolThreshold: Type.Integer({ minimum: 0, default: 1024 * 1024 }),
  /** RX-7: recipients per message, 0 = unlimited (RFC 5321 §4.5.3.1.8 asks for at least 100). */
  maxRecipients: Type.Integer({ minimum: 0, default: 100 }),
  /**
   * LG-1: the SMTP receive log, `<data>/logs/<node>/smtp-receive.log`: one line per message
   * accepted and per MAIL, RCPT or DATA refused, with the client, the address and the reply
   * (the console's dashboard counts and lists them). Off: no file.
   */
  receiveLog: Type.Boolean({ default: true }),
  /** Characters kept of each field of a receive-log line (a long address, a plugin's reply text); longer ones are cut. */
  receiveLogFieldMax: Type.Integer({ minimum: 64, maximum: 65_536, default: 1000 }),
  /** RX-2: answer VRFY/EXPN (true) or refuse them with 502. */
  vrfy: Type.Boolean({ default: true }),
  /** RX-3: the Received: header template; see policies/received-template.ts for the fields. */
  receivedTemplate: Type.String({
    default: 'from {helo} ({remoteHost} [{remoteIp}])\r\n\tby {hostname} ({product}) with {protocol} id {id}\r\n\tfor <{recipient}>; {date}',
  }),
  auth: Type.Object({
    /**
     * SASL mechanisms offered. CRAM-MD5 (RFC 2195) works only for accounts that keep a clear
     * secret (`--auth-apop`), so it is not offered unless listed here; a client that prefers it
     * would fail it first for every other account.
     */
    methods: Type.Array(AuthMethod, { default: ['PLAIN', 'LOGIN'] }),
    /**
     * Allow AUTH without TLS (off: RFC 4954 §4 advice; Postfix smtpd_tls_auth_only). Off, EHLO on
     * a plain connection does not advertise AUTH at all, so no client sends a password before STARTTLS.
     */
    allowInsecure: Type.Boolean({ default: false }),
    /** A failed AUTH is answered after this delay; the (IP, login) penalty (top-level `auth`) comes on top. */
    failureDelayMs: Type.Integer({ minimum: 0, default: 300 }),
  }, { default: {} }),
  /**
   * Bare LF in DATA (SMTP smuggling vector): 'reject' refuses the message with 550 5.5.2;
   * 'normalize' turns it into CRLF. <LF>.<CR><LF> never ends DATA either way.
   */
  bareLf: Type.Union([Type.Literal('reject'), Type.Literal('normalize')], { default: 'reject' }),
  /**
   * Pause before the 220 greeting; a client that sends before it is refused as an early talker
   * (Postfix postscreen's greet_wait, Haraka's early_talker). 0 = greet at once, as smtpd does.
   */
  greetingDelayMs: Type.Integer({ minimum: 0, maximum: 30_000, default: 0 }),
  /** Idle timeout of a session (RFC 5321 §4.5.3.2 suggests 5 minutes). */
  socketTimeoutMs: Type.Integer({ minimum: 1000, default: 300_000 }),
  /**
   * RFC 5321 §4.5.1: `postmaster@<every hosted domain>` and the bare `<Postmaster>` are always
   * accepted as recipients. An account or alias named postmaster gets them; otherwise they go to
   * this address (local or remote), and without it to the domain's admin account (DO-1, default
   * Administrator@domain), else to the domain's first account. The bare `<Postmaster>` is
   * postmaster@<hostname> when that domain is hosted, else of the first hosted domain by name.
   */
  postmasterAddress: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', description: 'an address (user@domain)' })),
  /**
   * The original's DO-2: postmaster exists only where an account or alias of that name was
   * created (spammers forge it). Off by default: RFC 5321 requires postmaster. As a *sender*, a
   * postmaster that is no account is refused by relay-effect either way ("no such account").
   */
  postmasterOnlyWhenCreated: Type.Boolean({ default: false }),
  /**
   * Postfix `reject_sender_login_mismatch`: an authenticated session (a submission) may use as
   * MAIL FROM only its account's address and the account's aliases (553 5.7.1 otherwise). On by
   * default on every listener, since any session that authenticated is a submission; false = any
   * sender, as the original (relay-effect's senderTrust then decides).
   */
  senderLoginMatch: Type.Boolean({ default: true }),
  /**
   * Postfix `queue_minfree`: with less free space than this under the data directory, MAIL FROM
   * gets 452 4.3.1 and IMAP APPEND NO [OVERQUOTA] (before the client sends the message); 0 = no check.
   */
  queueMinFreeBytes: Type.Integer({ minimum: 0, default: 100 * 1024 * 1024 }),
}, { default: {} });

/**
 * Message submission (RFC 6409) listeners: the port a mail client (MUA) sends through, as
 * Postfix's master.cf `submission`/`submissions` services and Stalwart's submission listener.
 * Sessions there run the same SMTP code and `smtp.*` settings, with the submission rules on top
 * (appliance/smtp/submission.ts): AUTH before MAIL (`530 5.7.0`), the sender owned by the
 * authenticated account (`553 5.7.1`, whatever smtp.senderLoginMatch says), relay once
 * authenticated. AUTH needs TLS (STARTTLS, or a `host:port*` implicit-TLS listener, RFC 8314)
 * unless smtp.auth.allowInsecure. Production: `['0.0.0.0:587', '0.0.0.0:465*']`. Empty by default
 * (no listener, as master.cf ships it); the shipped mailserver.config.ts opens 127.0.0.1:2587.
 */
export const SubmissionConfig = Type.Object({
  listen: Type.Array(ListenerSpec, { default: [] }),
}, { default: {} });

export const Pop3Config = Type.Object({
  listen: Type.Array(ListenerSpec, { default: ['127.0.0.1:1110', '127.0.0.1:1995*'] }),
  /** RX-5: concurrent sessions, 0 = unlimited. */
  maxSessions: Type.Integer({ minimum: 0, default: 1000 }),
  /** Concurrent connections from one client IP not yet logged in, 0 = unlimited. */
  maxSessionsPerIp: Type.Integer({ minimum: 0, default: 20 }),
  /** Logged-in sessions of one user from one IP (Dovecot mail_max_userip_connections), 0 = unlimited. */
  maxUserIpSessions: Type.Integer({ minimum: 0, default: 10 }),
  /** Time to send one command line, from its first byte (Postfix smtpd_per_record_deadline). */
  commandDeadlineMs: Type.Integer({ minimum: 1000, default: 300_000 }),
  /** RX-9: local addresses on which sessions are refused (so only a cluster's virtual IP answers). */
  hiddenIps: Type.Array(Type.String(), { default: [] }),
  /** PO-1: an account that has an APOP secret may log in with APOP only. */
  apopExclusive: Type.Boolean({ default: false }),
  /** Allow USER/PASS without TLS (off by default, as Dovecot's disable_plaintext_auth). */
  allowInsecureAuth: Type.Boolean({ default: false }),
  /** RFC 1939 §3: the autologout timer is at least 10 minutes. */
  socketTimeoutMs: Type.Integer({ minimum: 1000, default: 600_000 }),
}, { default: {} });

export const TlsConfig = Type.Object({
  /** PEM certificate (path). Without one, a self-signed certificate is made in the data directory. */
  cert: Type.Optional(Type.String()),
  key: Type.Optional(Type.String()),
}, { default: {} });

export const HarakaConfig = Type.Object({
  /** Haraka-style config/ directory the shim reads for plugins' this.config.get(). */
  configDir: Type.String({ default: './haraka/config' }),
  /** Published haraka-plugin-* packages to run, by short name ("access" = haraka-plugin-access). */
  plugins: Type.Array(Type.String(), { default: [] }),
}, { default: {} });

/** The appliance's HTTP(S) listener (appliance/http): one-click unsubscribe (RFC 8058), git push of the config. */
export const HttpConfig = Type.Object({
  /** `host:port`, `host:port*` = HTTPS with the appliance's TLS material; an empty list = no HTTP service. */
  listen: Type.Array(ListenerSpec, { default: ['127.0.0.1:8025'] }),
  /**
   * The base URL put into mail (e.g. List-Unsubscribe), such as "https://lists.example.com".
   * Default: derived from the first HTTPS listener, else the first listener.
   */
  publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^/?#]+(/.*)?$', description: 'http(s)://host[:port][/path]' })),
}, { default: {} });

export const PluginEntrySchema = Type.Object({
  name: Type.String(),
  options: Type.Optional(Type.Unknown()),
});

export const AppConfigSchema = Type.Object({
  /** Name in greetings and Received: headers. */
  hostname: Type.String({ minLength: 1, default: 'localhost' }),
  tls: TlsConfig,
  smtp: SmtpConfig,
  /** RFC 6409 submission listeners for mail clients (empty by default); see SubmissionConfig. */
  submission: SubmissionConfig,
  pop3: Pop3Config,
  imap: ImapConfig,
  haraka: HarakaConfig,
  /** Outbound queue and SMTP delivery (TX-1 … TX-6); see core/config/delivery.ts. */
  delivery: DeliveryConfig,
  /** Limits on a message's header and MIME structure (SMTP DATA and stored mail); see core/config/message.ts. */
  message: MessageConfig,
  /** HTTP(S) listener and the base URL for links in mail; see appliance/http. */
  http: HttpConfig,
  /** Access to /metrics and /status.json, and the bounds of a scrape; see core/config/monitoring.ts. */
  metrics: MetricsConfig,
  /** Mail client autoconfiguration (Thunderbird, Outlook, Apple) on the HTTP listener; see core/config/monitoring.ts. */
  autoconfig: AutoconfigConfig,
  /** Shared by every listener (appliance/net/connection-gate.ts). */
  connections: Type.Object({
    /**
     * File descriptors kept free below the soft RLIMIT_NOFILE: closer than this, new SMTP, IMAP
     * and POP3 connections are refused with the protocol's "try again later" (SMTP 421 4.7.0)
     * while the sessions already open go on; 0 = no check.
     */
    fdReserve: Type.Integer({ minimum: 0, default: 256 }),
  }, { default: {} }),
  /** Failed-login penalty and the password-hashing cap for every service; see core/config/auth.ts. */
  auth: AuthConfig,
  /** Appliance plugins from plugins/<name>/, in order. */
  plugins: Type.Array(PluginEntrySchema, { default: [] }),
  /**
   * CF-3: who may clone and push the config repository (`/config.git/` on the HTTP listener):
   * account addresses, authenticated with their passwords. Absent = the admin address of every
   * hosted domain (DO-1, default Administrator@domain) that is also an account. [] = nobody.
   */
  admin: Type.Object({
    users: Type.Optional(Type.Array(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', description: 'an account address (user@domain)' }))),
    /** The operator console under `/admin/` (these admins log in to it); see core/config/console.ts. */
    console: ConsoleConfig,
  }, { default: {} }),
  /** Where accounts, mailboxes and the queue live (CL-1): the embedded store, or PostgreSQL shared by every node. */
  store: Type.Union([
    Type.Object({ kind: Type.Literal('embedded') }, { additionalProperties: false }),
    Type.Object({
      kind: Type.Literal('postgres'),
      /** postgres://user:password@host:port/database */
      url: Type.String({ pattern: '^postgres(ql)?://' }),
      /** Connections this node keeps open (default 10). */
      poolSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    }, { additionalProperties: false }),
  ], { default: { kind: 'embedded' } }),
  /** This node in a cluster (queue leases and logs carry its name). */
  node: Type.Object({
    name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9._-]+$', default: os.hostname().replace(/[^A-Za-z0-9._-]/g, '-') || 'node' }),
    /**
     * With a postgres store, share the config repository's commits with the other nodes
     * that share theirs (appliance/cluster/config-sync.ts): a commit applied here is applied there
     * and the reverse; a node starting later comes up on the newest. Off: this node keeps its own
     * config (nodes with per-node config files).
     */
    shareConfig: Type.Boolean({ default: false }),
    /**
     * Worker processes `mailserver start` runs (appliance/workers/): 'auto' is one per core this
     * process may run on. They share the listening sockets; the first (the lead) also carries the
     * config repository, HTTP, delivery and the cluster duties. A live apply can change it.
     */
    workers: Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 1, maximum: 256 })], { default: 'auto' }),
    /**
     * Worker threads per worker process for the CPU-heavy work of a message (appliance/runtime/
     * work-pool.ts): DKIM signing, the mailfilter's decoding and matching. They start at the
     * first such task. 'auto' = the cores divided by the worker processes, at least 1.
     */
    threads: Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 1, maximum: 64 })], { default: 'auto' }),
    /**
     * Tasks that may wait for a free thread; one more gets a temporary failure (SMTP 451 4.3.2,
     * a delivery attempt is deferred) instead of a growing backlog. 0 = none waits.
     */
    threadQueue: Type.Integer({ minimum: 0, maximum: 10_000, default: 64 }),
    /**
     * Time a task may run on its thread (from when a thread takes it); then the thread is stopped
     * and replaced, and the message gets a temporary failure (451 4.3.0, or a deferred delivery).
     */
    threadTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 15_000 }),
  }, { default: {} }),
  /** A hook that runs longer yields a temporary failure. */
  hookTimeoutMs: Type.Integer({ minimum: 1, default: 30_000 }),
  log: Type.Object({
    level: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  }, { default: {} }),
}, { additionalProperties: false });

export type AppConfig = Static<typeof AppConfigSchema>;

/** What an operator writes: every field optional, defaults filled at load. */
export type UserConfig = DeepPartial<AppConfig>;
type DeepPartial<T> = T extends (infer U)[] ? U[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
