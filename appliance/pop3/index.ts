/**
 * The POP3 listener (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH): PO-1 of the spec.
 * Protocol only: credentials go to appliance/auth, mail to the store ports, policy to the
 * core hooks ('connect', 'auth', 'disconnect').
 */
import type { AppConfig } from '../../core/config/schema.ts';
import type { HookRunner } from '../../core/hooks.ts';
import type { Logger } from '../../core/log.ts';
import type { Stores } from '../../core/store/ports.ts';
import { startSessionListeners, type BoundListener, type SessionListeners, type SocketSource } from '../net/session-listeners.ts';
import { secureContext, type TlsMaterial } from '../net/tls.ts';
import { MaildropLocks } from './maildrop.ts';
import { AuthGuard } from '../auth/guard.ts';
import { ConnectionGate } from '../net/connection-gate.ts';
import { R } from './replies.ts';
import { Session } from './session.ts';
import type { Pop3Env, Pop3Limits } from './types.ts';

export type { Pop3Limits } from './types.ts';

export const DEFAULT_LIMITS: Pop3Limits = {
  maxLineOctets: 255,
  maxDiscardOctets: 1024 * 1024,
  maxOverlongLines: 3,
  maxUnknownCommands: 10,
  maxAuthFailures: 3,
  authFailureDelayMs: 1000,
  maxQueuedCommands: 64,
};

export interface Pop3Context {
  /** `pop3`, and the login and connection limits it shares. */
  config: Pick<AppConfig, 'pop3' | 'auth' | 'connections'>;
  stores: Stores;
  hooks: HookRunner;
  tls: TlsMaterial;
  log: Logger;
  hostname: string;
  /**
   * RX-9 (the seed's hiddenpopip.dat): local addresses on which connections are closed
   * without a greeting, so only a cluster's virtual IP answers.
   */
  hiddenIps?: readonly string[];
  /** Overrides of DEFAULT_LIMITS (tests shorten the failed-login delay). */
  limits?: Partial<Pop3Limits>;
  /** Where connections come from (default: servers of their own; the config runtime lends its sockets). */
  sockets?: SocketSource;
  /**
   * The maildrop locks (RFC 1939 §8: one session per maildrop); the config runtime shares one
   * set across generations, so a session of the new config waits for one of the old.
   */
  locks?: MaildropLocks;
  /** The appliance's login guard, shared by every service and generation (one of its own when absent). */
  auth?: AuthGuard;
  /** The appliance's connection gate (one of its own when absent). */
  gate?: ConnectionGate;
}

export type Pop3Listener = BoundListener;

/** close() stops listening and ends every session; nothing marked with DELE is removed. */
export type Pop3Service = SessionListeners;

/**
 * Starts one listener per `pop3.listen` spec (`host:port`, `host:port*` for implicit TLS,
 * RFC 8314). RX-5: over `pop3.maxSessions`, a new connection gets `-ERR [SYS/TEMP]` and is closed.
 */
export async function startPop3(ctx: Pop3Context): Promise<Pop3Service> {
  const log = ctx.log.child({ service: 'pop3' });
  const env: Pop3Env = {
    config: ctx.config.pop3,
    stores: ctx.stores,
    hooks: ctx.hooks,
    hostname: ctx.hostname,
    secureContext: secureContext(ctx.tls),
    locks: ctx.locks ?? new MaildropLocks(ctx.stores.sessionLocks, (msg, err) => log.warn({ err }, msg)),
    auth: ctx.auth ?? new AuthGuard(ctx.config.auth),
    limits: { ...DEFAULT_LIMITS, ...ctx.limits },
    log,
  };
  return startSessionListeners({
    service: 'pop3',
    listen: env.config.listen,
    hiddenIps: ctx.hiddenIps ?? [],
    maxSessions: () => env.config.maxSessions,
    maxSessionsPerIp: () => env.config.maxSessionsPerIp,
    gate: ctx.gate ?? new ConnectionGate(() => ctx.config.connections),
    tlsHandshakeTimeoutMs: env.config.socketTimeoutMs,
    secureContext: env.secureContext,
    log,
    createSession: (socket, peer, secure, ticket) => new Session(env, socket, peer, secure, ticket),
    where: 'pop3.listen',
    sockets: ctx.sockets,
    replies: { tooManySessions: R.tooManySessions(), startFailed: R.internal(), shuttingDown: R.shuttingDown(), tooManyFromIp: R.tooManyFromIp(), busy: R.busy() },
  });
}
