/** Domains: list and search, add, change, delete — the CLI's operations (appliance/operations/domains.ts). */
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { Env } from '../deps.ts';
import { addDomain, changeDomain, deleteDomain, listDomains } from '../../operations/domains.ts';
import { parseAddress, parseCount } from '../../cli/values.ts';
import { csrfField } from '../csrf.ts';
import { act, checked, field, formBody } from '../form.ts';
import { button, matches, page, searchBox, table } from '../layout.ts';

const BACK = '/admin/domains';

export function domainRoutes(): Hono<Env> {
  const app = new Hono<Env>();
  app.get('/', async (c) => {
    const t = c.get('t');
    const q = (c.req.query('q') ?? '').slice(0, 200);
    const domains = (await listDomains(c.get('deps').stores)).filter((d) => matches(q, d.name, d.admin));
    const csrf = c.get('session').csrf;
    const rows = domains.map((d) => [d.name, d.accounts, d.accountLimit || t('domains.noLimit'), d.admin, d.copyErrorsToAdmin ? t('common.yes') : t('common.no'),
      html`<details><summary>${t('common.change')}</summary><form method="post" action="/admin/domains/change" class="grid">${csrfField(csrf)}
<input type="hidden" name="name" value="${d.name}">
<label>${t('domains.limit')} <input name="accountLimit" value="${d.accountLimit}" inputmode="numeric"></label>
<label>${t('domains.admin')} <input name="admin" value="${d.admin}"></label>
<label class="check"><input type="checkbox" name="copyErrors" value="1"${d.copyErrorsToAdmin ? html` checked` : ''}> ${t('domains.copyErrors')}</label>
<button type="submit">${t('common.save')}</button></form></details>
${button(c, '/admin/domains/delete', t('common.delete'), { name: d.name }, { danger: true })}
${d.accounts ? button(c, '/admin/domains/delete', t('domains.forceDelete'), { name: d.name, force: '1' }, { danger: true }) : ''}`]);
    return page(c, t('domains.title'), html`
${searchBox(c, BACK, q, 'domains')}
${table([t('domains.name'), t('domains.accounts'), t('domains.limit'), t('domains.admin'), t('domains.copyErrors'), ''], rows, t('domains.none'), 'domains')}
<h2>${t('domains.add')}</h2>
<form method="post" action="/admin/domains/add" class="grid">${csrfField(csrf)}
<label>${t('domains.name')} <input name="name" required></label>
<label>${t('domains.limit')} <input name="accountLimit" value="0" inputmode="numeric"></label>
<label>${t('domains.admin')} <input name="admin" placeholder="Administrator@…"></label>
<label class="check"><input type="checkbox" name="copyErrors" value="1"> ${t('domains.copyErrors')}</label>
<button type="submit">${t('domains.add')}</button></form>`);
  });

  const settings = (body: Record<string, unknown>) => {
    const b = body as Parameters<typeof field>[0];
    const limit = field(b, 'accountLimit').trim();
    const admin = field(b, 'admin').trim();
    return {
      accountLimit: limit ? parseCount(limit, 'the account limit') : undefined,
      admin: admin ? parseAddress(admin).address : undefined,
      copyErrorsToAdmin: checked(b, 'copyErrors'),
    };
  };

  app.post('/add', async (c) => {
    const body = await formBody(c);
    return act(c, BACK, async () => {
      const d = await addDomain(c.get('deps').stores, { name: field(body, 'name').trim(), ...settings(body) });
      return c.get('t')('domains.added', { name: d.name });
    });
  });
  app.post('/change', async (c) => {
    const body = await formBody(c);
    return act(c, BACK, async () => {
      const s = settings(body);
      const d = await changeDomain(c.get('deps').stores, field(body, 'name'), {
        ...(s.accountLimit !== undefined && { accountLimit: s.accountLimit }), ...(s.admin && { admin: s.admin }), copyErrorsToAdmin: s.copyErrorsToAdmin,
      });
      return c.get('t')('domains.changed', { name: d.name });
    });
  });
  app.post('/delete', async (c) => {
    const body = await formBody(c);
    return act(c, BACK, async () => {
      const r = await deleteDomain(c.get('deps').stores, field(body, 'name'), checked(body, 'force'));
      const done = c.get('t')('domains.deleted', { name: r.name, accounts: r.accounts, aliases: r.aliases });
      return r.inbound.length ? [done, `warning: ${c.get('t')('domains.inbound', { aliases: r.inbound.join(', ') })}`] : done;
    });
  });
  return app;
}
