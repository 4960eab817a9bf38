/**
 * The appliance's HTTP(S) listeners (`http.listen`; `host:port*` = HTTPS with the appliance's
 * TLS material). Requests go to the handler of the longest matching route prefix
 * (appliance/http/routes.ts); an unknown path gets 404, a handler that throws gets 500 and a
 * log line naming the route, and the server goes on serving.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '../../core/config/schema.ts';
import type { Logger } from '../../core/log.ts';
import { parseListener, type ListenerSpec } from '../net/listener-spec.ts';
import { listenError } from '../net/session-listeners.ts';
import type { TlsMaterial } from '../net/tls.ts';
import { RouteTable, type HttpRoutes } from './routes.ts';
import { baseUrl } from './url.ts';

export { RouteTable, type HttpHandler, type HttpRoutes } from './routes.ts';

export interface HttpService extends HttpRoutes {
  listeners: (ListenerSpec & { port: number })[];
  /** e.g. 'http://127.0.0.1:8025' for the first plain listener (the bound port when 0 was asked). */
  url(): string;
  close(): Promise<void>;
}

export interface HttpContext {
  config: AppConfig;
  tls: TlsMaterial;
  log: Logger;
  /** The table plugins registered their routes in (a new one if absent). */
  routes?: RouteTable;
}

/**
 * Timeouts (Node's http.Server options): a client gets 30 s to send its headers and 5 minutes
 * for the whole request (a `git push` of a large pack); an idle keep-alive connection is closed
 * after 5 s.
 */
const SERVER_OPTIONS: http.ServerOptions = {
  headersTimeout: 30_000,
  requestTimeout: 300_000,
  keepAliveTimeout: 5_000,
};

export async function startHttp(ctx: HttpContext): Promise<HttpService> {
  const log = ctx.log.child({ service: 'http' });
  const routes = ctx.routes ?? new RouteTable();
  const servers: http.Server[] = [];
  const listeners: (ListenerSpec & { port: number })[] = [];
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => void dispatch(routes, log, req, res);
  const close = async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    })));
  };
  try {
    for (const [i, spec] of ctx.config.http.listen.entries()) {
      const where = `http.listen[${i}]`;
      let parsed: ListenerSpec;
      try {
        parsed = parseListener(spec);
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`);
      }
      const server = parsed.implicitTls
        ? https.createServer({ ...SERVER_OPTIONS, key: ctx.tls.key, cert: ctx.tls.cert, minVersion: 'TLSv1.2' }, onRequest)
        : http.createServer(SERVER_OPTIONS, onRequest);
      servers.push(server);
      const port = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(parsed.port, parsed.host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      }).catch((err) => {
        throw listenError(parsed, where, err);
      });
      server.on('error', (err) => log.error({ err, listener: spec }, 'http listener error'));
      listeners.push({ ...parsed, port });
      log.info({ listener: spec, port, tls: parsed.implicitTls }, 'http listening');
    }
  } catch (err) {
    await close();
    throw err;
  }
  const configured = ctx.config.http.publicUrl?.replace(/\/+$/, '');
  const derived = listeners.find((l) => l.implicitTls) ?? listeners[0];
  const publicUrl = configured ?? (derived ? baseUrl(derived, ctx.config.hostname) : undefined);
  routes.setPublicUrl(() => (listeners.length || configured ? publicUrl : undefined));
  return {
    listeners,
    route: (prefix, handler) => routes.route(prefix, handler),
    publicUrl: () => routes.publicUrl(),
    url() {
      const l = listeners.find((x) => !x.implicitTls) ?? listeners[0];
      if (!l) throw new Error('no HTTP listener (http.listen is empty)');
      return baseUrl(l, '127.0.0.1');
    },
    async close() {
      routes.setPublicUrl(() => undefined);
      await close();
    },
  };
}

async function dispatch(routes: RouteTable, log: Logger, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const target = req.url ?? '/';
  const path = target.split('?', 1)[0];
  const route = routes.match(path);
  if (!route) return plain(res, 404, `Not found: ${path}\n`);
  try {
    await route.handler(req, res);
  } catch (err) {
    log.error({ err, route: route.prefix, method: req.method, path }, 'http handler failed');
    if (!res.headersSent) plain(res, 500, 'Internal server error\n');
    else res.destroy();
  }
}

function plain(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
