/** The outbound queue: list, show, retry, delete — the CLI's operations (appliance/operations/queue.ts). */
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { Env } from '../deps.ts';
import { deleteQueued, queuedMessage, recipientState, retryQueued } from '../../operations/queue.ts';
import { act, field, formBody } from '../form.ts';
import { button, matches, page, searchBox, table } from '../layout.ts';

/** The header of a message as text (at most 64 KiB of it). */
function headerOf(content: Buffer): string {
  const text = content.subarray(0, 65_536).toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  return (end < 0 ? text : text.slice(0, end)).replace(/\r\n/g, '\n');
}

export function queueRoutes(): Hono<Env> {
  const app = new Hono<Env>();
  app.get('/', async (c) => {
    const t = c.get('t');
    const q = (c.req.query('q') ?? '').slice(0, 200);
    const entries = (await c.get('deps').stores.queue.list()).filter((e) => matches(q, e.id, e.mailFrom, ...e.recipients.map((r) => r.recipient)));
    const rows = entries.flatMap((e) => e.recipients.map((r, i) => [
      i ? '' : html`<a href="/admin/queue/show?id=${encodeURIComponent(e.id)}">${e.id}</a>`,
      i ? '' : e.created.toISOString().replace(/\.\d+Z$/, 'Z'), i ? '' : `<${e.mailFrom}>`, r.recipient,
      html`<span class="state ${recipientState(r)}">${t(`queue.state.${recipientState(r)}`)}</span>`, r.attempts,
      r.status === 'pending' ? r.nextAttempt.toISOString().replace(/\.\d+Z$/, 'Z') : '-', r.lastError ?? '',
      i ? '' : html`${button(c, '/admin/queue/retry', t('queue.retry'), { id: e.id })} ${button(c, '/admin/queue/delete', t('common.delete'), { id: e.id }, { danger: true })}`,
    ]));
    return page(c, t('queue.title'), html`
${searchBox(c, '/admin/queue', q, 'queue')}
<p>${t('queue.count', { messages: entries.length, recipients: rows.length })}</p>
${table([t('queue.id'), t('queue.queued'), t('queue.from'), t('queue.recipient'), t('queue.state'), t('queue.tries'), t('queue.next'), t('queue.lastError'), ''], rows, t('queue.empty'), 'queue')}`);
  });

  app.get('/show', async (c) => {
    const t = c.get('t');
    const id = c.req.query('id') ?? '';
    let found;
    try {
      found = await queuedMessage(c.get('deps').stores, id);
    } catch (err) {
      return c.text(`${(err as Error).message}\n`, 404);
    }
    const { entry, content } = found;
    return page(c, t('queue.showTitle', { id: entry.id }), html`<dl>
<dt>${t('queue.queued')}</dt><dd>${entry.created.toISOString()}</dd>
<dt>${t('queue.from')}</dt><dd>&lt;${entry.mailFrom}&gt;</dd>
<dt>${t('queue.size')}</dt><dd>${entry.size}</dd></dl>
${table([t('queue.recipient'), t('queue.state'), t('queue.tries'), t('queue.next'), t('queue.lastError')], entry.recipients.map((r) => [
      r.recipient, t(`queue.state.${recipientState(r)}`), r.attempts, r.status === 'pending' ? r.nextAttempt.toISOString() : '-', r.lastError ?? '']), '')}
<p>${button(c, '/admin/queue/retry', t('queue.retry'), { id: entry.id, back: 'show' })} ${button(c, '/admin/queue/delete', t('common.delete'), { id: entry.id }, { danger: true })}</p>
<h2>${t('queue.header')}</h2><pre class="message">${headerOf(content)}</pre>`);
  });

  app.post('/retry', async (c) => {
    const body = await formBody(c);
    const id = field(body, 'id');
    const back = field(body, 'back') === 'show' ? `/admin/queue/show?id=${encodeURIComponent(id)}` : '/admin/queue';
    return act(c, back, async () => c.get('t')('queue.retried', { n: await retryQueued(c.get('deps').stores, id), id }));
  });
  app.post('/delete', async (c) => {
    const body = await formBody(c);
    const id = field(body, 'id');
    return act(c, '/admin/queue', async () => {
      await deleteQueued(c.get('deps').stores, id);
      return c.get('t')('queue.deleted', { id });
    });
  });
  return app;
}
