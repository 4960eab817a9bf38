/**
 * The metrics port: what the code that counts calls when something worth counting happens.
 * The appliance implements it with prom-client (appliance/metrics/); core and the protocol code
 * only see these methods, so no Prometheus types leak into them. Every method is cheap (an
 * in-memory increment, no I/O): they run on the hot path of every session and message.
 */

export type SessionProtocol = 'smtp' | 'pop3' | 'imap' | (string & {});

export interface MetricsPort {
  /** A connection was admitted (counts toward the open-sessions gauge until sessionClosed). */
  sessionOpened(protocol: SessionProtocol): void;
  sessionClosed(protocol: SessionProtocol): void;
  /** A connection turned away before its session began (per-IP limit, fd reserve). */
  connectionRefused(protocol: SessionProtocol, reason: string): void;
  /** A message got its 250 after DATA; `bytes` is its stored size. */
  messageAccepted(bytes: number): void;
  /** A MAIL, RCPT or DATA refused; `reason` is a stable name (ReplyError.reason), never free text. */
  messageRefused(stage: 'mail' | 'rcpt' | 'data', reason: string): void;
  /** A credential check: ok, failed (wrong credentials) or busy (the hashing queue was full). */
  authAttempt(protocol: string, result: 'ok' | 'failed' | 'busy'): void;
  /** One plugin's handler for one hook ran for `seconds`. */
  hookRun(plugin: string, hook: string, seconds: number): void;
  /** One recipient's delivery attempt; `destination` is the recipient domain, 'local' or the gateway. */
  deliveryAttempt(result: 'sent' | 'deferred' | 'failed', destination: string): void;
  /** Delivery status notifications (bounces) queued. */
  bounces(n: number): void;
  /** One store transaction (a group commit of `writes` writes) took `seconds`. */
  storeCommit(seconds: number, writes: number): void;
  /** A live config apply ended. */
  configApply(result: 'applied' | 'refused'): void;
}

/** A port that counts nothing (tests, tools that run hooks outside the appliance). */
export const noMetrics: MetricsPort = {
  sessionOpened() {},
  sessionClosed() {},
  connectionRefused() {},
  messageAccepted() {},
  messageRefused() {},
  authAttempt() {},
  hookRun() {},
  deliveryAttempt() {},
  bounces() {},
  storeCommit() {},
  configApply() {},
};
