/**
 * The IMAP listener (RFC 3501 IMAP4rev1 with IDLE, UIDPLUS, MOVE, NAMESPACE, SPECIAL-USE,
 * CONDSTORE, QUOTA, LITERAL+, ID, UNSELECT, ESEARCH, SASL-IR, STARTTLS and implicit TLS): IM-1.
 * Protocol only: credentials go to appliance/auth, mail to the store ports (mailbox logic in
 * ./mailbox), policy to the core hooks ('connect', 'auth', 'disconnect').
 */
import { setMimeLimits } from './message/mime.ts';
import type { AppConfig } from '../../core/config/schema.ts';
import type { HookRunner } from '../../core/hooks.ts';
import type { Logger } from '../../core/log.ts';
import type { Stores } from '../../core/store/ports.ts';
import { startSessionListeners, type BoundListener, type SessionListeners, type SocketSource } from '../net/session-listeners.ts';
import { secureContext, type TlsMaterial } from '../net/tls.ts';
import { R } from './replies.ts';
import { AuthGuard } from '../auth/guard.ts';
import { ConnectionGate } from '../net/connection-gate.ts';
import { Session } from './session.ts';
import type { ImapEnv, ImapLimits } from './types.ts';
import type { DiskGuard } from '../store/disk-space.ts';

export const DEFAULT_LIMITS: ImapLimits = {
  maxAuthFailures: 3,
  authFailureDelayMs: 1000,
  maxBadCommands: 20,
  maxPreauthLiteral: 8 * 1024,
  maxQueuedCommands: 64,
  idlePollMs: 5000,
};

export interface ImapContext {
  /** `imap`, and the message, login and connection limits it shares. */
  config: Pick<AppConfig, 'imap' | 'message' | 'auth' | 'connections'>;
  stores: Stores;
  hooks: HookRunner;
  tls: TlsMaterial;
  log: Logger;
  hostname: string;
  limits?: Partial<ImapLimits>;
  /** Where APPEND literals over imap.spoolThreshold wait on disk (`<dataDir>/spool`). */
  spoolDir: string;
  /** Where connections come from (default: servers of their own; the config runtime lends its sockets). */
  sockets?: SocketSource;
  /** Free space under the data directory, checked by APPEND (smtp.queueMinFreeBytes). */
  disk?: DiskGuard;
  /** The appliance's login guard, shared by every service and generation (one of its own when absent). */
  auth?: AuthGuard;
  /** The appliance's connection gate (one of its own when absent). */
  gate?: ConnectionGate;
}

export type ImapListener = BoundListener;
export type ImapService = SessionListeners;

/**
 * One listener per `imap.listen` spec (`host:port`, `host:port*` for implicit TLS, RFC 8314).
 * RX-5: over `imap.maxSessions` a new connection gets `* BYE [UNAVAILABLE]`. RX-9: connections
 * to a hidden local address are closed without a greeting.
 */
export async function startImap(ctx: ImapContext): Promise<ImapService> {
  const log = ctx.log.child({ service: 'imap' });
  setMimeLimits(ctx.config.message);
  const env: ImapEnv = {
    config: ctx.config.imap,
    stores: ctx.stores,
    hooks: ctx.hooks,
    hostname: ctx.hostname,
    secureContext: secureContext(ctx.tls),
    auth: ctx.auth ?? new AuthGuard(ctx.config.auth),
    limits: { ...DEFAULT_LIMITS, maxBadCommands: ctx.config.imap.maxBadCommands, ...ctx.limits },
    log,
    spoolDir: ctx.spoolDir,
    disk: ctx.disk,
  };
  return startSessionListeners({
    service: 'imap',
    listen: env.config.listen,
    hiddenIps: env.config.hiddenIps,
    maxSessions: () => env.config.maxSessions,
    maxSessionsPerIp: () => env.config.maxSessionsPerIp,
    gate: ctx.gate ?? new ConnectionGate(() => ctx.config.connections),
    tlsHandshakeTimeoutMs: env.config.socketTimeoutMs,
    secureContext: env.secureContext,
    log,
    createSession: (socket, peer, secure, ticket) => new Session(env, socket, peer, secure, ticket),
    where: 'imap.listen',
    sockets: ctx.sockets,
    replies: { tooManySessions: R.tooManySessions(), startFailed: R.shuttingDown(), shuttingDown: R.shuttingDown(), tooManyFromIp: R.tooManyFromIp(), busy: R.busy() },
  });
}
