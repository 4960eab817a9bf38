/**
 * The IMAP listener (RFC 3501 IMAP4rev1 with IDLE, UIDPLUS, MOVE, NAMESPACE, SPECIAL-USE,
 * CONDSTORE, QUOTA, LITERAL+, ID, UNSELECT, ESEARCH, SASL-IR, STARTTLS and implicit TLS): IM-1.
 * Protocol only: credentials go to appliance/auth, mail to the store ports (mailbox logic in
 * ./mailbox), policy to the core hooks ('connect', 'auth', 'disconnect').
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '../../core/config/schema.ts';
import type { HookRunner } from '../../core/hooks.ts';
import type { Logger } from '../../core/log.ts';
import type { Stores } from '../../core/store/ports.ts';
import { parseListener, type ListenerSpec } from '../net/listener-spec.ts';
import { secureContext, type TlsMaterial } from '../net/tls.ts';
import { upgradeToTls } from '../pop3/tls-upgrade.ts';
import { R } from './replies.ts';
import { Session, type PeerInfo } from './session.ts';
import type { ImapEnv, ImapLimits } from './types.ts';

export const DEFAULT_LIMITS: ImapLimits = {
  maxAuthFailures: 3,
  authFailureDelayMs: 1000,
  maxBadCommands: 20,
  maxPreauthLiteral: 8 * 1024,
  maxQueuedCommands: 64,
  idlePollMs: 5000,
};

export interface ImapContext {
  config: AppConfig;
  stores: Stores;
  hooks: HookRunner;
  tls: TlsMaterial;
  log: Logger;
  hostname: string;
  limits?: Partial<ImapLimits>;
}

export interface ImapListener {
  spec: string;
  host: string;
  port: number;
  implicitTls: boolean;
}

export interface ImapService {
  close(): Promise<void>;
  listeners: ImapListener[];
}

const unmapped = (ip: string | undefined) => (ip ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

function listen(server: net.Server, spec: ListenerSpec): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(spec.port, spec.host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * One listener per `imap.listen` spec (`host:port`, `host:port*` for implicit TLS, RFC 8314).
 * RX-5: over `imap.maxSessions` a new connection gets `* BYE [UNAVAILABLE]`. RX-9: connections
 * to a hidden local address are closed without a greeting.
 */
export async function startImap(ctx: ImapContext): Promise<ImapService> {
  const log = ctx.log.child({ service: 'imap' });
  const env: ImapEnv = {
    config: ctx.config.imap,
    stores: ctx.stores,
    hooks: ctx.hooks,
    hostname: ctx.hostname,
    secureContext: secureContext(ctx.tls),
    limits: { ...DEFAULT_LIMITS, ...ctx.limits },
    log,
  };
  const hidden = new Set(env.config.hiddenIps.map(unmapped));
  const sessions = new Set<Session>();
  const active = new Set<Session>();
  const handshaking = new Set<net.Socket>();
  const servers: net.Server[] = [];
  const listeners: ImapListener[] = [];

  const open = (socket: net.Socket, peer: PeerInfo, secure: boolean) => {
    const session = new Session(env, socket, peer, secure);
    sessions.add(session);
    void session.ending.then(() => active.delete(session));
    void session.done.then(() => sessions.delete(session));
    const max = env.config.maxSessions;
    if (max > 0 && active.size >= max) {
      log.warn({ remote: peer.remoteAddress, max }, 'imap session limit reached');
      void session.end(R.tooManySessions());
      return;
    }
    active.add(session);
    session.start().catch((err) => {
      log.error({ err }, 'imap session start failed');
      void session.end(R.shuttingDown());
    });
  };

  const accept = (raw: net.Socket, spec: ListenerSpec) => {
    const peer: PeerInfo = {
      remoteAddress: unmapped(raw.remoteAddress), remotePort: raw.remotePort ?? 0,
      localAddress: unmapped(raw.localAddress), localPort: raw.localPort ?? 0,
    };
    raw.on('error', (err) => log.debug({ err, remote: peer.remoteAddress }, 'imap socket error'));
    if (hidden.has(peer.localAddress)) {
      log.info({ local: peer.localAddress, remote: peer.remoteAddress }, 'imap connection on a hidden address refused');
      raw.destroy();
      return;
    }
    raw.setNoDelay(true);
    if (!spec.implicitTls) return open(raw, peer, false);
    handshaking.add(raw);
    upgradeToTls(raw, env.secureContext, env.config.socketTimeoutMs).then(
      (secure) => {
        handshaking.delete(raw);
        open(secure, peer, true);
      },
      (err) => {
        handshaking.delete(raw);
        log.info({ err, remote: peer.remoteAddress }, 'imap TLS handshake failed');
      },
    );
  };

  try {
    for (const spec of env.config.listen.map(parseListener)) {
      const server = net.createServer((socket) => accept(socket, spec));
      servers.push(server);
      const port = await listen(server, spec);
      listeners.push({ spec: spec.spec, host: spec.host, port, implicitTls: spec.implicitTls });
      log.info({ listen: spec.spec, port, implicitTls: spec.implicitTls }, 'imap listening');
    }
  } catch (err) {
    for (const s of servers) s.close();
    throw err;
  }

  return {
    listeners,
    async close() {
      const stopped = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      for (const session of sessions) session.shutdown(R.shuttingDown());
      for (const socket of handshaking) socket.destroy();
      await Promise.all([...stopped, ...[...sessions].map((s) => s.done)]);
    },
  };
}
