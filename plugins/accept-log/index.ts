/**
 * accept-log: the original's "accept log" (LG-1) — one line for every client IP that reached
 * MAIL FROM, with the sender, in a per-node folder under the data directory's logs/.
 * Also the smallest example of an appliance plugin: typed options, typed session state.
 */
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { definePlugin } from '../../core/plugin.ts';
import { AppendLog, nodeLogDir } from '../../core/log.ts';

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
    /** Node name for the per-node folder (CL-3); default: the node's name (`node.name`). */
    node: Type.Optional(Type.String({ minLength: 1 })),
  }),
  setup(api) {
    // a config check writes no log (the file may be anywhere; nothing of a check is accepted mail)
    if (api.mode === 'check') return;
    const file = path.isAbsolute(api.options.file)
      ? api.options.file
      : path.join(nodeLogDir(api.dataDir, api.options.node ?? api.settings.nodeName), api.options.file);
    // a log that cannot be written warns once and is skipped, never stops the appliance (LG-1)
    const out = new AppendLog(file, api.log, 'accept log');
    api.onClose(() => out.close());

    // time, client IP, session id, MAIL count of the session, sender, and the message id the
    // client is given at the end of DATA (queue and delivery logs use it: `mailserver logs --grep ID`)
    api.hook('mail', ({ conn, tx, from }) => {
      const state = (conn.state['accept-log'] ??= { mailCount: 0 });
      state.mailCount++;
      out.record([conn.remoteAddress, conn.id, state.mailCount, `<${from.address}>`, tx.id]);
    });
  },
});
