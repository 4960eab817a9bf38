/**
 * The listeners of a line protocol served by the appliance itself (POP3, IMAP): one server per
 * `host:port[*]` spec (a trailing * = implicit TLS, RFC 8314), hidden local addresses closed
 * without a greeting (RX-9), the session limit (RX-5), and a close that ends every session.
 * The protocol supplies its session class and the replies for these cases.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type tls from 'node:tls';
import type { Logger } from '../../core/log.ts';
import { parseListener, type ListenerSpec } from './listener-spec.ts';
import { upgradeToTls } from './tls-upgrade.ts';
import { admitSocket, type ConnectionGate, type Refusal, type Ticket } from './connection-gate.ts';

export interface PeerInfo {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

/** What the listeners need of a protocol session. */
export interface ListenedSession<Reply> {
  /** Settles when the session starts closing (it then no longer counts against the limit). */
  readonly ending: Promise<void>;
  /** Settles when the socket is closed. */
  readonly done: Promise<void>;
  start(): Promise<void>;
  end(reply: Reply): Promise<void>;
  shutdown(reply: Reply): void;
}

export interface BoundListener {
  spec: string;
  host: string;
  /** The port actually bound (a spec with port 0 gets one from the system). */
  port: number;
  implicitTls: boolean;
}

export interface SessionListeners {
  listeners: BoundListener[];
  /** Sessions open now (a draining generation waits for none to be left). */
  openSessions(): number;
  /** Stops listening and ends every session with the shutdown reply. */
  close(): Promise<void>;
}

/** A bound listening socket as a listener sees it. */
export interface BoundSocket {
  /** The port actually bound. */
  port: number;
  /** Stops taking connections on it (for its owner); open connections are not touched. */
  close(): Promise<void>;
}

/**
 * Where a listener's connections come from. The default binds a server of the listener's own;
 * the config runtime (appliance/runtime) lends sockets that outlive a config generation, so an
 * unchanged listener keeps its socket when the config changes. `where` names the setting
 * (`smtp.listen[1]`) for errors.
 */
export type SocketSource = (spec: ListenerSpec, where: string, onSocket: (socket: net.Socket) => void) => Promise<BoundSocket>;

/** Binds a server of its own; a failure names the setting and the address (`smtp.listen[1] 127.0.0.1:25: EADDRINUSE`). */
export const listenOwn: SocketSource = async (spec, where, onSocket) => {
  const server = net.createServer(onSocket);
  let port: number;
  try {
    port = await listen(server, spec);
  } catch (err) {
    server.close();
    throw listenError(spec, where, err);
  }
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
};

export function listenError(spec: ListenerSpec, where: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  return new Error(`${where} ${spec.spec}: ${e.code ?? e.message}`);
}

export interface SessionListenerOptions<S extends ListenedSession<Reply>, Reply> {
  /** 'pop3', 'imap': for logs. */
  service: string;
  listen: string[];
  hiddenIps: readonly string[];
  /** Read at each connection, so a changed limit applies to new sessions. */
  maxSessions: () => number;
  /** Connections not logged in yet from one IP, 0 = unlimited (read at each connection). */
  maxSessionsPerIp: () => number;
  /** The appliance's connection gate (per-IP counts, fd reserve), shared by every service. */
  gate: ConnectionGate;
  tlsHandshakeTimeoutMs: number;
  secureContext: tls.SecureContext;
  log: Logger;
  createSession(socket: net.Socket, peer: PeerInfo, secure: boolean, ticket: Ticket): S;
  /** tooManyFromIp and busy (near the fd limit) are written as bytes to a plain connection before it is closed. */
  replies: { tooManySessions: Reply; startFailed: Reply; shuttingDown: Reply; tooManyFromIp: string; busy: string };
  /** The config path of `listen` (`pop3.listen`), for errors. */
  where?: string;
  /** Where connections come from (default: servers of their own). */
  sockets?: SocketSource;
}

/** IPv4 peers on a dual-stack socket appear as ::ffff:a.b.c.d. */
export const unmapped = (ip: string | undefined) => (ip ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

function listen(server: net.Server, spec: ListenerSpec): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(spec.port, spec.host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startSessionListeners<S extends ListenedSession<Reply>, Reply>(
  o: SessionListenerOptions<S, Reply>,
): Promise<SessionListeners> {
  const { log, service } = o;
  const hidden = new Set(o.hiddenIps.map(unmapped));
  /** Every session, for close(); `active` holds those admitted under maxSessions. */
  const sessions = new Set<S>();
  const active = new Set<S>();
  const handshaking = new Set<net.Socket>();
  const bound: BoundSocket[] = [];
  const listeners: BoundListener[] = [];

  const open = (socket: net.Socket, peer: PeerInfo, secure: boolean, ticket: Ticket) => {
    const session = o.createSession(socket, peer, secure, ticket);
    sessions.add(session);
    void session.ending.then(() => active.delete(session));
    void session.done.then(() => sessions.delete(session));
    const max = o.maxSessions();
    if (max > 0 && active.size >= max) {
      log.warn({ remote: peer.remoteAddress, max }, `${service} session limit reached`);
      void session.end(o.replies.tooManySessions);
      return;
    }
    active.add(session);
    session.start().catch((err) => {
      log.error({ err }, `${service} session start failed`);
      void session.end(o.replies.startFailed);
    });
  };

  const accept = (raw: net.Socket, spec: ListenerSpec) => {
    const peer: PeerInfo = {
      remoteAddress: unmapped(raw.remoteAddress), remotePort: raw.remotePort ?? 0,
      localAddress: unmapped(raw.localAddress), localPort: raw.localPort ?? 0,
    };
    raw.on('error', (err) => log.debug({ err, remote: peer.remoteAddress }, `${service} socket error`));
    if (hidden.has(peer.localAddress)) {
      log.info({ local: peer.localAddress, remote: peer.remoteAddress }, `${service} connection on a hidden address refused`);
      raw.destroy();
      return;
    }
    admitSocket(o.gate, raw, service, peer.remoteAddress, o.maxSessionsPerIp(), (ticket) => serve(raw, spec, peer, ticket));
  };
  const serve = (raw: net.Socket, spec: ListenerSpec, peer: PeerInfo, ticket: Ticket | Refusal) => {
    if (typeof ticket === 'string') {
      log.warn({ remote: peer.remoteAddress, reason: ticket }, `${service} connection refused: ${ticket === 'fds' ? 'near the file descriptor limit' : 'too many connections from this IP'}`);
      // on implicit TLS there is no plain text to send: the socket is just closed
      if (spec.implicitTls) raw.destroy();
      else raw.end(ticket === 'fds' ? o.replies.busy : o.replies.tooManyFromIp);
      setTimeout(() => raw.destroy(), 2000).unref();
      return;
    }
    raw.once('close', () => ticket.release());
    raw.setNoDelay(true);
    if (!spec.implicitTls) return open(raw, peer, false, ticket);
    handshaking.add(raw);
    upgradeToTls(raw, o.secureContext, o.tlsHandshakeTimeoutMs).then(
      (secure) => {
        handshaking.delete(raw);
        open(secure, peer, true, ticket);
      },
      (err) => {
        handshaking.delete(raw);
        log.info({ err, remote: peer.remoteAddress }, `${service} TLS handshake failed`);
      },
    );
  };

  try {
    const sockets = o.sockets ?? listenOwn;
    for (const [i, text] of o.listen.entries()) {
      const spec = parseListener(text);
      const socket = await sockets(spec, `${o.where ?? `${service}.listen`}[${i}]`, (raw) => accept(raw, spec));
      bound.push(socket);
      const port = socket.port;
      listeners.push({ spec: spec.spec, host: spec.host, port, implicitTls: spec.implicitTls });
      log.info({ listen: spec.spec, port, implicitTls: spec.implicitTls }, `${service} listening`);
    }
  } catch (err) {
    await Promise.all(bound.map((b) => b.close()));
    throw err;
  }

  return {
    listeners,
    openSessions: () => sessions.size + handshaking.size,
    async close() {
      const stopped = bound.map((b) => b.close());
      for (const session of sessions) session.shutdown(o.replies.shuttingDown);
      // sockets still in the TLS handshake have no session yet
      for (const socket of handshaking) socket.destroy();
      await Promise.all([...stopped, ...[...sessions].map((s) => s.done)]);
    },
  };
}
