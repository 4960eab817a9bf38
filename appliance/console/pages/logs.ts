/**
 * Log search: the node logs (`<data>/logs/<node>/`: accept, smtp-send, delivery and delivery
 * failure logs) searched by an address or the message id a client was given, with the code of
 * `mailserver logs` (appliance/operations/logs.ts). The latest LIMIT matching lines, newest first.
 */
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { Env } from '../deps.ts';
import { MAX_GREP, logNodes, searchLogs } from '../../operations/logs.ts';
import { page, searchBox, table } from '../layout.ts';

/** Lines one page shows at most. */
export const LIMIT = 500;

export function logRoutes(): Hono<Env> {
  const app = new Hono<Env>();
  app.get('/', async (c) => {
    const t = c.get('t');
    const q = (c.req.query('q') ?? '').slice(0, MAX_GREP);
    const { dataDir } = c.get('deps');
    const nodes = logNodes(dataDir);
    const asked = c.req.query('node') ?? '';
    const node = nodes.includes(asked) ? asked : undefined;
    const lines = q || node ? (await searchLogs(dataDir, { grep: q, node, limit: LIMIT })).reverse() : [];
    const rows = lines.map((l) => [l.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), l.node, l.file.replace(/\.log$/, ''),
      html`<code>${l.text.split('\t').slice(l.time ? 1 : 0).join('  ')}</code>`]);
    const select = html`<select name="node" aria-label="${t('logs.node')}"><option value="">${t('logs.allNodes')}</option>${nodes.map((n) => html`<option value="${n}"${n === node ? ' selected' : ''}>${n}</option>`)}</select>`;
    return page(c, t('logs.title'), html`
<p>${t('logs.help')}</p>
${searchBox(c, '/admin/logs', q, 'logs', select)}
${q || node ? table([t('logs.time'), t('logs.node'), t('logs.log'), t('logs.line')], rows, t('logs.none'), 'logs') : html`<p id="logs"></p>`}
${lines.length >= LIMIT ? html`<p>${t('logs.limited', { n: LIMIT })}</p>` : ''}`);
  });
  return app;
}
