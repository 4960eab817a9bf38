/** The SMTP listeners (RX-1) and the submission listeners (RFC 6409): one smtp-server per configured `host:port[*]`. */
import type net from 'node:net';
import type { SMTPServer, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import type { SmtpContext } from './context.ts';
import { parseListener, type ListenerSpec } from '../net/listener-spec.ts';
import { listenOwn, unmapped, type BoundSocket, type SocketSource } from '../net/session-listeners.ts';
import { ConnectionGate, admitSocket, type Refusal, type Ticket } from '../net/connection-gate.ts';
import { ApplianceSmtpServer } from './appliance-server.ts';
import { commandBridge } from './bridge.ts';
import { createConnection, connectionOf, sessionClosed } from './session.ts';
import { onAuth } from './auth.ts';
import { onMailFrom, onRcptTo } from './envelope.ts';
import { onData } from './data.ts';
import { REPLIES, toSmtpError, verdictToReply } from './replies.ts';

export interface SmtpService {
  /** `submission` is set on the listeners of `submission.listen`. */
  listeners: (ListenerSpec & { port: number; submission?: boolean })[];
  /** Sessions open now, and sockets still in the PROXY or TLS handshake. */
  openSessions(): number;
  /**
   * Stops listening; sessions get `graceMs` (default 30 s, as smtp-server's own close) to end,
   * then are told 421 and closed (RFC 5321 §3.8).
   */
  close(graceMs?: number): Promise<void>;
}

const CLOSE_GRACE_MS = 30_000;

function until(done: () => boolean, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const end = Date.now() + ms;
    const tick = () => (done() || Date.now() >= end ? resolve() : setTimeout(tick, 50));
    tick();
  });
}

function options(ctx: SmtpContext, spec: ListenerSpec, submission: boolean): SMTPServerOptions {
  const c = ctx.config.smtp;
  return {
    name: ctx.config.hostname,
    banner: c.banner,
    secure: spec.implicitTls,
    key: ctx.tls.key,
    cert: ctx.tls.cert,
    minVersion: 'TLSv1.2',
    authMethods: c.auth.methods,
    authOptional: true,
    allowInsecureAuth: c.auth.allowInsecure,
    size: c.maxMessageSize || undefined,
    rejectOversized: true,
    maxClients: c.maxSessions || undefined,
    maxRecipients: c.maxRecipients || undefined,
    socketTimeout: c.socketTimeoutMs,
    disableReverseLookup: true,
    hideDSN: true,
    hideENHANCEDSTATUSCODES: false,
    hideREQUIRETLS: true,
    logger: false,
    onConnect(session: SMTPServerSession, done: (err?: Error | null) => void) {
      // RX-9: RFC 5321 §3.1 lets a server answer 554 instead of 220 when it offers no service
      if (ctx.config.smtp.hiddenIps.includes(session.localAddress)) {
        return done(toSmtpError(REPLIES.noService()));
      }
      const conn = createConnection(session, ctx.log, submission);
      ctx.hooks.run('connect', { conn }).then((v) => {
        const reply = verdictToReply(v);
        done(reply ? toSmtpError(reply) : null);
      }, (err) => done(err));
    },
    onSecure(_socket, session, done) {
      connectionOf(session).secure = true;
      done();
    },
    onAuth: onAuth(ctx),
    onMailFrom: onMailFrom(ctx),
    onRcptTo: onRcptTo(ctx),
    onData: onData(ctx),
    onClose(session: SMTPServerSession) {
      sessionClosed(session);
      let conn;
      try {
        conn = connectionOf(session);
      } catch {
        return;
      }
      void ctx.hooks.run('disconnect', { conn });
    },
  } as SMTPServerOptions;
}

/**
 * One smtp-server per `smtp.listen` spec. The listening socket comes from `sockets` (by default
 * one of its own): each accepted connection is handed to the smtp-server as its own listener
 * would (PROXY header, implicit TLS handshake, then the session).
 */
/** Socket errors a client causes (it reset or vanished). */
const CLIENT_NETWORK_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH']);

export async function startSmtp(ctx: SmtpContext, sockets: SocketSource = listenOwn): Promise<SmtpService> {
  const servers: SMTPServer[] = [];
  const bound: BoundSocket[] = [];
  const listeners: SmtpService['listeners'] = [];
  const gate = ctx.gate ?? new ConnectionGate(() => ctx.config.connections);
  // A session ends at its QUIT: a client that reconnects at once (smtp-source, a busy relay)
  // may do so before the server has seen the old socket close, so the per-IP slot is given
  // back when QUIT is answered, not only at close. Keyed by the TCP peer (ip:port).
  const slots = new Map<string, Ticket>();
  const peer = (ip: string | undefined, port: number | undefined) => `${unmapped(ip)}:${port}`;
  const bridge = commandBridge(ctx);
  const simple = bridge.simple.bind(bridge);
  bridge.simple = async (session, hook) => {
    const reply = await simple(session, hook);
    if (hook === 'quit') {
      slots.get(peer(session.remoteAddress as string | undefined, session.remotePort as number | undefined))?.release();
      await gate.told();
    }
    return reply;
  };
  /** Per-IP limit and fd reserve before smtp-server sees the socket: a refusal is 421 4.7.0 and close. */
  const admit = (raw: net.Socket, spec: ListenerSpec, server: SMTPServer) => {
    const ip = unmapped(raw.remoteAddress);
    admitSocket(gate, raw, 'smtp', ip, ctx.config.smtp.maxSessionsPerIp, (ticket) => serve(raw, spec, server, ip, ticket));
  };
  const serve = (raw: net.Socket, spec: ListenerSpec, server: SMTPServer, ip: string, ticket: Ticket | Refusal) => {
    if (typeof ticket === 'string') {
      ctx.log.warn({ remote: ip, reason: ticket }, `smtp connection refused: ${ticket === 'fds' ? 'near the file descriptor limit' : 'too many connections from this IP'}`);
      raw.on('error', () => undefined);
      // on implicit TLS there is no plain text to send: the socket is just closed
      if (spec.implicitTls) raw.destroy();
      else raw.end(`${REPLIES.tooManyConnections(ctx.config.hostname, ticket === 'per-ip')}\r\n`);
      setTimeout(() => raw.destroy(), 2000).unref();
      return;
    }
    const key = peer(raw.remoteAddress, raw.remotePort);
    slots.set(key, ticket);
    raw.once('close', () => {
      ticket.release();
      if (slots.get(key) === ticket) slots.delete(key);
    });
    server.server.emit('connection', raw);
  };
  try {
    const all = [
      ...ctx.config.smtp.listen.map((text, i) => ({ text, where: `smtp.listen[${i}]`, submission: false })),
      ...ctx.config.submission.listen.map((text, i) => ({ text, where: `submission.listen[${i}]`, submission: true })),
    ];
    for (const { text, where, submission } of all) {
      const spec = parseListener(text);
      const server = new ApplianceSmtpServer(options(ctx, spec, submission), bridge);
      server.on('error', (err) => {
        // smtp-server reports a client's reset or a broken pipe here too: the client's doing, not the listener's
        if (CLIENT_NETWORK_ERRORS.has((err as NodeJS.ErrnoException).code ?? '')) ctx.log.info({ err, listener: spec.spec }, 'smtp client connection error');
        else ctx.log.error({ err, listener: spec.spec }, 'smtp listener error');
      });
      servers.push(server);
      const socket = await sockets(spec, where, (raw) => admit(raw, spec, server));
      bound.push(socket);
      listeners.push({ ...spec, port: socket.port, ...(submission ? { submission } : {}) });
      ctx.log.info({ listener: spec.spec, port: socket.port, implicitTls: spec.implicitTls, submission: submission || undefined }, submission ? 'smtp submission listening' : 'smtp listening');
    }
  } catch (err) {
    await Promise.all(bound.map((b) => b.close()));
    throw err;
  }
  const openSessions = () => servers.reduce((n, s) => n + s.connections.size + s._pendingSockets.size, 0);
  return {
    listeners,
    openSessions,
    async close(graceMs = CLOSE_GRACE_MS) {
      await Promise.all(bound.map((b) => b.close()));
      for (const s of servers) for (const pending of s._pendingSockets.values()) pending.destroy();
      await until(() => openSessions() === 0, graceMs);
      for (const s of servers) {
        for (const c of s.connections) {
          c.send(421, 'Server shutting down');
          c.close();
        }
      }
    },
  };
}
