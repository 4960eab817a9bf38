/**
 * Mailing lists and their members: the lists of the running config (the mailing-list plugin's
 * `lists`); members added and removed with the CLI's operations (appliance/operations/lists.ts),
 * which refuse a list the running config does not define.
 */
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { Env } from '../deps.ts';
import { addListMember, configuredLists, listKey, listMembers, removeListMember } from '../../operations/lists.ts';
import { csrfField } from '../csrf.ts';
import { act, field, formBody } from '../form.ts';
import { button, matches, page, searchBox, table } from '../layout.ts';

const RUNNING = 'the running config';

export function listRoutes(): Hono<Env> {
  const app = new Hono<Env>();
  app.get('/', async (c) => {
    const t = c.get('t');
    const { stores, running } = c.get('deps');
    const rows = [];
    for (const { key } of configuredLists(running())) {
      const members = stores.lists ? await stores.lists.members(key) : [];
      rows.push([html`<a href="/admin/lists/members?list=${encodeURIComponent(key)}">${key}</a>`, members.length, members.filter((m) => m.disabled).length]);
    }
    return page(c, t('lists.title'), html`
${table([t('lists.list'), t('lists.members'), t('lists.disabled')], rows, t('lists.none'), 'lists')}
<form method="get" action="/admin/lists/members" class="inline"><label>${t('lists.open')} <input name="list" required placeholder="name@example.com"></label> <button type="submit">${t('common.show')}</button></form>`);
  });

  app.get('/members', async (c) => {
    const t = c.get('t');
    let key: string;
    try {
      key = listKey(c.req.query('list') ?? '');
    } catch (err) {
      return c.text(`${(err as Error).message}\n`, 400);
    }
    const q = (c.req.query('q') ?? '').slice(0, 200);
    const { stores, running } = c.get('deps');
    let all;
    try {
      all = await listMembers(stores, running(), key, RUNNING);
    } catch (err) {
      return c.text(`${(err as Error).message}\n`, 404);
    }
    const members = all.filter((m) => matches(q, m.address, m.name));
    const rows = members.map((m) => [m.address, m.name || '-', m.disabled ? t('lists.disabledAfter', { n: m.bounces ?? 0 }) : t('lists.active'),
      button(c, '/admin/lists/remove', t('lists.remove'), { list: key, address: m.address }, { danger: true })]);
    const self = `/admin/lists/members?list=${encodeURIComponent(key)}`;
    return page(c, t('lists.membersOf', { list: key }), html`
${searchBox(c, '/admin/lists/members', q, 'members', html`<input type="hidden" name="list" value="${key}">`)}
${table([t('lists.address'), t('lists.name'), t('lists.state'), ''], rows, t('lists.noMembers'), 'members')}
<h2>${t('lists.add')}</h2>
<form method="post" action="/admin/lists/add" class="grid">${csrfField(c.get('session').csrf)}
<input type="hidden" name="list" value="${key}"><input type="hidden" name="back" value="${self}">
<label>${t('lists.address')} <input name="address" required placeholder="Name &lt;user@example.com&gt;"></label>
<label>${t('lists.name')} <input name="name"></label>
<button type="submit">${t('lists.add')}</button></form>`);
  });

  const back = (list: string) => `/admin/lists/members?list=${encodeURIComponent(list)}`;
  app.post('/add', async (c) => {
    const body = await formBody(c);
    const list = field(body, 'list');
    return act(c, back(list), async () => {
      const name = field(body, 'name').trim();
      const { stores, running } = c.get('deps');
      const r = await addListMember(stores, running(), RUNNING, list, field(body, 'address').trim(), name || undefined);
      return c.get('t')(r.added ? 'lists.added' : 'lists.already', { list: r.key, address: r.address });
    });
  });
  app.post('/remove', async (c) => {
    const body = await formBody(c);
    const list = field(body, 'list');
    return act(c, back(list), async () => {
      const key = await removeListMember(c.get('deps').stores, list, field(body, 'address'));
      return c.get('t')('lists.removed', { list: key, address: field(body, 'address') });
    });
  });
  return app;
}
