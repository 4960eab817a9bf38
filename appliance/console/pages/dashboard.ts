/**
 * The dashboard: the cluster's nodes as they recorded themselves (build, config commit, virtual
 * IP holder; as `mailserver status`), the queue depth by state.
 */
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { Env } from '../deps.ts';
import { openNodeRegistry } from '../../cluster/node.ts';
import { DOWN_AFTER_MS, type NodeRecord } from '../../cluster/registry.ts';
import { recipientState } from '../../operations/queue.ts';
import { page, table } from '../layout.ts';

export function dashboardRoutes(): Hono<Env> {
  const app = new Hono<Env>();
  app.get('/', async (c) => {
    const t = c.get('t');
    const { running, dataDir, stores, log } = c.get('deps');
    let nodes: NodeRecord[] = [];
    let holders: string[] | undefined;
    const registry = openNodeRegistry(running(), dataDir);
    try {
      nodes = await registry.list();
      holders = await registry.leaseHolders?.();
    } catch (err) {
      log.warn({ err }, 'console: cannot read the node registry');
    } finally {
      await registry.close();
    }
    const now = Date.now();
    const nodeRows = nodes.map((n) => {
      const down = now - n.heartbeatAt.getTime() > DOWN_AFTER_MS;
      const holds = holders ? holders.includes(n.name) : !!n.vip && !down;
      return [n.name, html`<span class="state ${down ? 'failed' : 'sent'}">${down ? t('dash.down') : t('dash.up')}</span>`, n.version, html`<code>${n.configCommit}</code>`,
        holds ? (n.vip ? `VIP ${n.vip}` : t('dash.leaseNoVip')) : '-', `${Math.round((now - n.heartbeatAt.getTime()) / 1000)}s`, n.addresses.join(', ') || '-'];
    });
    const depth = { new: 0, deferred: 0, sent: 0, failed: 0 };
    for (const e of await stores.queue.list()) for (const r of e.recipients) depth[recipientState(r)]++;
    return page(c, t('dash.title'), html`
<h2>${t('dash.nodes')}</h2>
${table([t('dash.node'), t('dash.state'), t('dash.build'), t('dash.config'), t('dash.vip'), t('dash.heartbeat'), t('dash.addresses')], nodeRows, t('dash.noNodes'), 'nodes')}
<h2>${t('dash.queue')}</h2>
<p id="queue-depth"><a href="/admin/queue">${t('dash.queueDepth', { new: depth.new, deferred: depth.deferred })}</a></p>`);
  });
  return app;
}
