/** The console's static files, served by the appliance itself (no CDN): htmx from its npm package and the style sheet. */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { Env } from './deps.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

let cache: Record<string, { type: string; body: Buffer }> | undefined;
function files() {
  cache ??= {
    'htmx.min.js': { type: 'text/javascript; charset=utf-8', body: fs.readFileSync(require.resolve('htmx.org/dist/htmx.min.js')) },
    'console.css': { type: 'text/css; charset=utf-8', body: fs.readFileSync(path.join(here, 'console.css')) },
  };
  return cache;
}

export function staticRoutes(): Hono<Env> {
  const app = new Hono<Env>();
  app.get('/:name', (c) => {
    const f = files()[c.req.param('name')];
    if (!f) return c.text('Not found\n', 404);
    return c.body(new Uint8Array(f.body), 200, { 'content-type': f.type });
  });
  return app;
}
