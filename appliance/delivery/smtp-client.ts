/**
 * One SMTP transaction to the first host of a route that answers (nodemailer's SMTP client):
 * opportunistic STARTTLS (a failed handshake is retried once in plain text on a new connection,
 * as Postfix does), implicit TLS for `465*` gateways, AUTH to gateways (TX-6), and a verdict per
 * recipient. RFC 5321 §5.1: a host that cannot be reached, or that refuses the session at the
 * greeting, passes the turn to the next address; a reply within the transaction is final.
 * A message that needs SMTPUTF8 goes with it, or not at all (smtputf8.ts).
 */
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { DeliveryConfig } from '../../core/config/delivery.ts';
import { smtpUtf8Need, smtpUtf8Refusal } from './smtputf8.ts';

/** One address to try, in order. */
export interface Target {
  /** Host name (for TLS SNI and the logs). */
  host: string;
  address: string;
  port: number;
  /** Implicit TLS (`465*`). */
  tls: boolean;
  auth?: DeliveryConfig['auth'];
}

export interface SmtpReply {
  code: number;
  /** The whole reply line(s) as the peer sent them. */
  response: string;
}

export type TransactionResult =
  /** The peer took the message for `accepted`; `rejected` were refused at RCPT. */
  | { kind: 'sent'; target: Target; tls: boolean; accepted: string[]; rejected: Map<string, SmtpReply>; response: string }
  /** The peer refused the message as a whole (MAIL FROM, DATA, the final reply, AUTH). */
  | { kind: 'refused'; target: Target; reply: SmtpReply; rejected?: Map<string, SmtpReply> }
  /** Connected, then the line failed: time-out, drop, malformed reply. */
  | { kind: 'line-error'; target: Target; error: string }
  /** No address answered. */
  | { kind: 'unreachable'; error: string };

export interface ClientOptions {
  heloName: string;
  timeouts: DeliveryConfig['timeouts'];
  verifyCertificates: boolean;
  /** SMTP conversation lines, for the send log. */
  onLine?: (target: Target, line: string) => void;
}

type SmtpError = Error & { code?: string; responseCode?: number; response?: string; command?: string; rejectedErrors?: (SmtpError & { recipient?: string })[] };

/**
 * nodemailer's SMTPConnection members this client relies on that are not its public API;
 * test/nodemailer-surface.test.ts checks them on the installed nodemailer, so an upgrade that
 * removes or changes them fails there, naming the member.
 */
export const NODEMAILER_PRIVATE_SURFACE = {
  /** `_sendCommand(str, logStr)`: every command line goes through it (wrapped to add SMTPUTF8 to MAIL FROM). */
  methods: ['_sendCommand'],
  /** `_supportedExtensions`: the EHLO keywords nodemailer recognised, upper case (`'SMTPUTF8'`). */
  fields: ['_supportedExtensions'],
} as const;

function replyOf(err: SmtpError): SmtpReply | null {
  return err.responseCode ? { code: err.responseCode, response: (err.response ?? err.message).trim() } : null;
}

export class Session {
  readonly conn: SMTPConnection;
  established = false;
  /** Transactions run on this session. */
  uses = 0;
  /** STARTTLS was under way: a failure before the session was up is a TLS failure. */
  get triedStarttls(): boolean {
    return this.conn.upgrading === true;
  }

  /** The peer's EHLO listed SMTPUTF8 (RFC 6531 §3.1). */
  get offersSmtpUtf8(): boolean {
    return (this.conn as unknown as { _supportedExtensions?: string[] })._supportedExtensions?.includes('SMTPUTF8') ?? false;
  }

  /**
   * The next MAIL FROM carries SMTPUTF8 (RFC 6531 §3.4). nodemailer adds it only for a non-ASCII
   * address; a message with UTF-8 header fields and ASCII addresses needs it too.
   */
  private mailSmtpUtf8 = false;

  constructor(readonly target: Target, opts: ClientOptions, plain: boolean) {
    this.conn = new SMTPConnection({
      host: target.address, port: target.port, secure: target.tls, name: opts.heloName,
      ignoreTLS: plain, opportunisticTLS: true,
      servername: target.host !== target.address ? target.host : undefined,
      tls: { rejectUnauthorized: opts.verifyCertificates, servername: target.host !== target.address ? target.host : undefined },
      connectionTimeout: opts.timeouts.connectMs, greetingTimeout: opts.timeouts.greetingMs, socketTimeout: opts.timeouts.socketMs,
      socketCloseTimeout: 0,
      logger: opts.onLine ? lineLogger((line) => opts.onLine!(target, line)) : false,
      transactionLog: !!opts.onLine,
    });
    // nodemailer reports a failed connection or a dropped line as an event, not to the callback
    // of the step in progress: every step races against it
    this.failed = new Promise<never>((_, reject) => {
      this.conn.on('error', reject);
      this.conn.on('end', () => reject(Object.assign(new Error('connection closed by the peer'), { code: 'ECONNECTION' })));
    });
    this.failed.catch(() => undefined);
    const conn = this.conn as unknown as { _sendCommand(str: string, logStr?: string): void };
    const sendCommand = conn._sendCommand.bind(conn);
    conn._sendCommand = (str, logStr) =>
      sendCommand(this.mailSmtpUtf8 && /^MAIL FROM:/i.test(str) && !/ SMTPUTF8(?:\s|$)/i.test(str) ? `${str} SMTPUTF8` : str, logStr);
  }

  private readonly failed: Promise<never>;

  private step<T>(run: (resolve: (v: T) => void, reject: (e: unknown) => void) => void): Promise<T> {
    return Promise.race([new Promise<T>(run), this.failed]);
  }

  connect(): Promise<void> {
    return this.step((resolve, reject) => this.conn.connect((err) => (err ? reject(err) : resolve())));
  }

  login(auth: NonNullable<Target['auth']>): Promise<void> {
    return this.step((resolve, reject) =>
      this.conn.login({ method: auth.method, user: auth.user, pass: auth.pass }, (err) => (err ? reject(err) : resolve())));
  }

  send(from: string, to: string[], content: Buffer, smtpUtf8 = false) {
    this.mailSmtpUtf8 = smtpUtf8;
    return this.step<SMTPConnection.SentMessageInfo>((resolve, reject) =>
      this.conn.send({ from, to, size: content.length }, content, (err, info) => (err ? reject(err) : resolve(info!))));
  }

  close(): void {
    try {
      if (this.established) this.conn.quit();
      else this.conn.close();
    } catch {
      // already closed
    }
  }
}

/** nodemailer's bunyan-style logger, reduced to the conversation lines. */
function lineLogger(out: (line: string) => void) {
  const log = (...args: unknown[]) => {
    const meta = args[0] as { tnx?: string } | undefined;
    if (meta?.tnx !== 'client' && meta?.tnx !== 'server') return;
    out(`${meta.tnx === 'client' ? 'C:' : 'S:'} ${String(args[1] ?? '').trim()}`);
  };
  return { info: log, debug: log, error: log, warn: log, trace: log, fatal: log, level: () => 'info' } as never;
}

function rejectedMap(errors: SmtpError['rejectedErrors']): Map<string, SmtpReply> {
  const map = new Map<string, SmtpReply>();
  for (const e of errors ?? []) if (e.recipient) map.set(e.recipient, replyOf(e) ?? { code: 450, response: e.message });
  return map;
}

/**
 * Sessions kept open after a transaction, for the next message to the same address (as
 * Postfix's connection cache: at most `maxUses` transactions a session, `idleMs` unused).
 */
export class SessionCache {
  private readonly idle = new Map<string, { s: Session; timer: NodeJS.Timeout }[]>();

  constructor(private readonly idleMs = 2000, private readonly maxUses = 100) {}

  static key(t: Target, plain: boolean): string {
    return `${t.address}|${t.port}|${t.tls}|${plain}|${t.auth?.user ?? ''}`;
  }

  take(key: string): Session | null {
    const list = this.idle.get(key);
    const hit = list?.pop();
    if (!list?.length) this.idle.delete(key);
    if (!hit) return null;
    clearTimeout(hit.timer);
    return hit.s;
  }

  put(key: string, s: Session): void {
    if (s.uses >= this.maxUses || s.conn.destroyed) return s.close();
    const list = this.idle.get(key) ?? [];
    const entry = { s, timer: setTimeout(() => this.drop(key, entry), this.idleMs) };
    entry.timer.unref();
    list.push(entry);
    this.idle.set(key, list);
  }

  private drop(key: string, entry: { s: Session; timer: NodeJS.Timeout }): void {
    const list = this.idle.get(key);
    if (list) {
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
      if (!list.length) this.idle.delete(key);
    }
    entry.s.close();
  }

  closeAll(): void {
    for (const list of this.idle.values()) for (const e of list) (clearTimeout(e.timer), e.s.close());
    this.idle.clear();
  }
}

function sentResult(target: Target, s: Session, info: SMTPConnection.SentMessageInfo): TransactionResult {
  return {
    kind: 'sent', target, tls: s.conn.secure, accepted: info.accepted.map(String), response: info.response,
    rejected: rejectedMap((info as { rejectedErrors?: SmtpError['rejectedErrors'] }).rejectedErrors),
  };
}

/** A reply-level failure of an established session (the session itself stays usable after RSET). */
function failureOf(target: Target, e: SmtpError): TransactionResult {
  const reply = replyOf(e);
  if (e.code === 'EENVELOPE' && e.rejectedErrors?.length) {
    return { kind: 'refused', target, reply: reply ?? { code: 450, response: e.message }, rejected: rejectedMap(e.rejectedErrors) };
  }
  if (reply && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE' || e.code === 'EAUTH')) return { kind: 'refused', target, reply };
  return { kind: 'line-error', target, error: `${target.host}[${target.address}]:${target.port}: ${e.message}` };
}

/** Runs one transaction for `to` through the first target that answers. */
export async function deliverTransaction(targets: Target[], from: string, to: string[], content: Buffer, opts: ClientOptions, cache?: SessionCache): Promise<TransactionResult> {
  let lastError = 'no address to try';
  let lastRefusal: { target: Target; reply: SmtpReply } | null = null;
  const utf8 = smtpUtf8Need(from, to, content);
  for (const target of targets) {
    // a cached session first; one the peer closed meanwhile fails before any reply and is replaced
    const key = SessionCache.key(target, false);
    const cached = cache?.take(key);
    if (cached) {
      if (utf8 && !cached.offersSmtpUtf8) {
        cache!.put(key, cached);
        return { kind: 'refused', target, reply: smtpUtf8Refusal(utf8, target.host) };
      }
      try {
        cached.uses++;
        const info = await cached.send(from, to, content, !!utf8);
        cache!.put(key, cached);
        return sentResult(target, cached, info);
      } catch (err) {
        cached.close();
        if (replyOf(err as SmtpError)) return failureOf(target, err as SmtpError);
      }
    }
    for (const plain of [false, true]) {
      const s = new Session(target, opts, plain);
      let keep = false;
      try {
        await s.connect();
        s.established = true;
        if (target.auth) {
          try {
            await s.login(target.auth);
          } catch (err) {
            const e = err as SmtpError;
            // as Postfix's smtp_sasl_auth_soft_bounce: a login failure is the gateway's or the
            // config's trouble, not the message's; defer it (refusals count) rather than bounce
            return { kind: 'refused', target, reply: { code: 454, response: `4.7.0 AUTH to the gateway failed: ${(e.response ?? e.message).trim()}` } };
          }
        }
        if (utf8 && !s.offersSmtpUtf8) {
          keep = !!cache && !plain;
          return { kind: 'refused', target, reply: smtpUtf8Refusal(utf8, target.host) };
        }
        s.uses++;
        const info = await s.send(from, to, content, !!utf8);
        keep = !!cache && !plain;
        return sentResult(target, s, info);
      } catch (err) {
        const e = err as SmtpError;
        if (!s.established && (e.code === 'ETLS' || s.triedStarttls) && !plain && !target.tls) {
          lastError = `${target.host}[${target.address}]:${target.port}: STARTTLS failed (${e.message}); trying without TLS`;
          continue;
        }
        if (!s.established) {
          // not connected, or refused at the greeting: the next address may do better
          const reply = replyOf(e);
          if (reply) lastRefusal = { target, reply };
          lastError = `${target.host}[${target.address}]:${target.port}: ${e.message}`;
          break;
        }
        return failureOf(target, e);
      } finally {
        if (keep) cache!.put(key, s);
        else s.close();
      }
    }
  }
  if (lastRefusal) return { kind: 'refused', target: lastRefusal.target, reply: lastRefusal.reply };
  return { kind: 'unreachable', error: lastError };
}
