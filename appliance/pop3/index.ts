/**
 * The POP3 listener (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH): PO-1 of the spec.
 * Protocol only: credentials go to appliance/auth, mail to the store ports, policy to the
 * core hooks ('connect', 'auth', 'disconnect').
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '../../core/config/schema.ts';
import type { HookRunner } from '../../core/hooks.ts';
import type { Logger } from '../../core/log.ts';
import type { Stores } from '../../core/store/ports.ts';
import { parseListener, type ListenerSpec } from '../net/listener-spec.ts';
import { secureContext, type TlsMaterial } from '../net/tls.ts';
import { MaildropLocks } from './maildrop.ts';
import { R } from './replies.ts';
import { Session, type PeerInfo } from './session.ts';
import { upgradeToTls } from './tls-upgrade.ts';
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
  config: AppConfig;
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
}

export interface Pop3Listener {
  spec: string;
  host: string;
  /** The port actually bound (a spec with port 0 gets one from the system). */
  port: number;
  implicitTls: boolean;
}

export interface Pop3Service {
  /** Stops listening and closes every session; nothing marked with DELE is removed. */
  close(): Promise<void>;
  listeners: Pop3Listener[];
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
    locks: new MaildropLocks(),
    limits: { ...DEFAULT_LIMITS, ...ctx.limits },
    log,
  };
  const hidden = new Set((ctx.hiddenIps ?? []).map(unmapped));
  /** Every session, for close(); `active` holds those admitted under maxSessions. */
  const sessions = new Set<Session>();
  const active = new Set<Session>();
  const handshaking = new Set<net.Socket>();
  const servers: net.Server[] = [];
  const listeners: Pop3Listener[] = [];

  const open = (socket: net.Socket, peer: PeerInfo, secure: boolean) => {
    const session = new Session(env, socket, peer, secure);
    sessions.add(session);
    void session.ending.then(() => active.delete(session));
    void session.done.then(() => sessions.delete(session));
    const max = env.config.maxSessions;
    if (max > 0 && active.size >= max) {
      log.warn({ remote: peer.remoteAddress, max }, 'pop3 session limit reached');
      void session.end(R.tooManySessions());
      return;
    }
    active.add(session);
    session.start().catch((err) => {
      log.error({ err }, 'pop3 session start failed');
      void session.end(R.internal());
    });
  };

  const accept = (raw: net.Socket, spec: ListenerSpec) => {
    const peer: PeerInfo = {
      remoteAddress: unmapped(raw.remoteAddress), remotePort: raw.remotePort ?? 0,
      localAddress: unmapped(raw.localAddress), localPort: raw.localPort ?? 0,
    };
    raw.on('error', (err) => log.debug({ err, remote: peer.remoteAddress }, 'pop3 socket error'));
    if (hidden.has(peer.localAddress)) {
      log.info({ local: peer.localAddress, remote: peer.remoteAddress }, 'pop3 connection on a hidden address refused');
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
        log.info({ err, remote: peer.remoteAddress }, 'pop3 TLS handshake failed');
      },
    );
  };

  try {
    for (const spec of env.config.listen.map(parseListener)) {
      const server = net.createServer((socket) => accept(socket, spec));
      servers.push(server);
      const port = await listen(server, spec);
      listeners.push({ spec: spec.spec, host: spec.host, port, implicitTls: spec.implicitTls });
      log.info({ listen: spec.spec, port, implicitTls: spec.implicitTls }, 'pop3 listening');
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
      // sockets still in the TLS handshake have no session yet
      for (const socket of handshaking) socket.destroy();
      await Promise.all([...stopped, ...[...sessions].map((s) => s.done)]);
    },
  };
}
