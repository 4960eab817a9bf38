/**
 * The operator console under `/admin/` on the appliance's HTTP(S) listener, in the lead worker
 * (which alone serves HTTP and runs the config repository). See app.ts for the web application
 * and README "Operator console".
 */
import { getRequestListener } from '@hono/node-server';
import type { HttpRoutes } from '../http/routes.ts';
import type { ConsoleDeps } from './deps.ts';
import { consoleApp } from './app.ts';

export const ROUTE = '/admin/';

/** Registers the console's route; returns the function that removes it. */
export function startConsole(http: HttpRoutes, deps: ConsoleDeps): () => void {
  const { app } = consoleApp(deps);
  const listener = getRequestListener(app.fetch);
  const unrouteSlash = http.route(ROUTE, (req, res) => {
    if (!deps.running().admin.console.enabled) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: the console is off (admin.console.enabled)\n');
      return;
    }
    return listener(req, res);
  });
  return unrouteSlash;
}
