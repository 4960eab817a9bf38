/**
 * accept-log: the original's "accept log" (LG-1) — one line for every client IP that reached
 * MAIL FROM, with the sender, in a per-node folder under the data directory's logs/.
 * Also the smallest example of an appliance plugin: typed options, typed session state.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { definePlugin } from '../../core/plugin.ts';

declare module '../../core/session.ts' {
  interface SessionState {
    'accept-log': { mailCount: number };
  }
}

export default definePlugin({
  name: 'accept-log',
  options: Type.Object({
    /** Log file; relative paths are under <data>/logs/<node name>/. */
    file: Type.String({ default: 'accept.log' }),
    /** Node name for the per-node folder (CL-3); default: the host name. */
    node: Type.String({ default: os.hostname() }),
  }),
  setup(api) {
    const file = path.isAbsolute(api.options.file)
      ? api.options.file
      : path.join(api.dataDir, 'logs', api.options.node, api.options.file);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const out = fs.createWriteStream(file, { flags: 'a' });
    out.on('error', (err) => api.log.warn({ err, file }, 'accept log cannot be written'));
    api.onClose(() => new Promise<void>((resolve) => out.end(resolve)));

    api.hook('mail', ({ conn, from }) => {
      const state = (conn.state['accept-log'] ??= { mailCount: 0 });
      state.mailCount++;
      out.write(`${new Date().toISOString()}\t${conn.remoteAddress}\t${conn.id}\t${state.mailCount}\t<${from.address}>\n`);
    });
  },
});
