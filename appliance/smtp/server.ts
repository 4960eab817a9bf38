/** The SMTP listeners (RX-1): one smtp-server per configured `host:port[*]`. */
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { SmtpContext } from './context.ts';
import { parseListener, type ListenerSpec } from '../net/listener-spec.ts';
import { BRIDGE, installCommandHooks } from './command-hooks.ts';
import { commandBridge } from './bridge.ts';
import { createConnection, connectionOf } from './session.ts';
import { onAuth } from './auth.ts';
import { onMailFrom, onRcptTo } from './envelope.ts';
import { onData } from './data.ts';
import { REPLIES, toSmtpError, verdictToReply } from './replies.ts';

export interface SmtpService {
  listeners: (ListenerSpec & { port: number })[];
  close(): Promise<void>;
}

function options(ctx: SmtpContext, spec: ListenerSpec): SMTPServerOptions {
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
      const conn = createConnection(session, ctx.log);
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

export async function startSmtp(ctx: SmtpContext): Promise<SmtpService> {
  installCommandHooks();
  const servers: SMTPServer[] = [];
  const listeners: SmtpService['listeners'] = [];
  const bridge = commandBridge(ctx);
  for (const text of ctx.config.smtp.listen) {
    const spec = parseListener(text);
    const server = new SMTPServer(options(ctx, spec));
    (server as unknown as Record<symbol, unknown>)[BRIDGE] = bridge;
    server.on('error', (err) => ctx.log.error({ err, listener: spec.spec }, 'smtp listener error'));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(spec.port, spec.host, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    const port = (server.server.address() as { port: number }).port;
    listeners.push({ ...spec, port });
    ctx.log.info({ listener: spec.spec, port, implicitTls: spec.implicitTls }, 'smtp listening');
    servers.push(server);
  }
  return {
    listeners,
    close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined),
  };
}
