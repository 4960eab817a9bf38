/**
 * The dashboard: the cluster's nodes as they recorded themselves (build, config commit, virtual
 * IP holder; as `mailserver status`), messages accepted / refused / delivered / deferred per
 * minute over the last hours as a chart (counted from the node logs: operations/activity.ts),
 * the queue depth by state, and the latest refusals with their reason.
 */
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { Env } from '../deps.ts';
import { openNodeRegistry } from '../../cluster/node.ts';
import { DOWN_AFTER_MS, type NodeRecord } from '../../cluster/registry.ts';
import { recipientState } from '../../operations/queue.ts';
import { page, table } from '../layout.ts';
import { recentActivity, SERIES } from '../../operations/activity.ts';
import { lineChart } from '../chart.ts';

/** The chart's windows, in hours (`?hours=`). */
export const WINDOWS = [1, 3, 6, 12, 24] as const;

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
    const hours = WINDOWS.find((h) => String(h) === c.req.query('hours')) ?? 3;
    const activity = await recentActivity(dataDir, { hours, now, maxBytesPerFile: running().admin.console.activityScanBytes });
    const label = { accepted: t('dash.accepted'), refused: t('dash.refused'), delivered: t('dash.delivered'), deferred: t('dash.deferred') };
    const chart = lineChart({
      start: activity.start, minutes: activity.minutes, title: t('dash.activity'), unit: t('dash.perBucket'),
      series: SERIES.map((name) => ({ name, label: label[name], values: activity.counts[name] })),
    });
    const refusalRows = activity.refusals.map((r) => [r.time.slice(0, 19).replace('T', ' '), r.node, r.client, r.stage.toUpperCase(), r.address, html`<code class="wrap">${r.reply}</code>`]);
    return page(c, t('dash.title'), html`
<h2>${t('dash.activity')}</h2>
<p class="windows">${WINDOWS.map((h) => (h === hours ? html`<strong>${t('dash.hours', { n: h })}</strong> ` : html`<a href="/admin/?hours=${h}">${t('dash.hours', { n: h })}</a> `))}</p>
${chart}
${table(['', ...SERIES.map((s) => label[s])], [[t('dash.total', { n: hours }), ...SERIES.map((s) => activity.totals[s])]], '', 'totals')}
${activity.truncated ? html`<p class="hint">${t('dash.truncated')}</p>` : ''}
<h2>${t('dash.nodes')}</h2>
${table([t('dash.node'), t('dash.state'), t('dash.build'), t('dash.config'), t('dash.vip'), t('dash.heartbeat'), t('dash.addresses')], nodeRows, t('dash.noNodes'), 'nodes')}
<h2>${t('dash.queue')}</h2>
<p id="queue-depth"><a href="/admin/queue">${t('dash.queueDepth', { new: depth.new, deferred: depth.deferred })}</a></p>
<h2>${t('dash.refusals')}</h2>
${table([t('logs.time'), t('dash.node'), t('dash.client'), t('dash.stage'), t('dash.address'), t('dash.reply')], refusalRows, t('dash.noRefusals', { n: hours }), 'refusals')}`);
  });
  return app;
}
