/** Aliases: list and search, add, change (the target), delete — the CLI's operations (appliance/operations/aliases.ts). */
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { Env } from '../deps.ts';
import { addAlias, aliasEnvelope, changeAlias, aliasTargetText, deleteAlias, listAliases } from '../../operations/aliases.ts';
import { csrfField } from '../csrf.ts';
import { act, field, formBody } from '../form.ts';
import { button, matches, page, searchBox, table } from '../layout.ts';

const BACK = '/admin/aliases';

export function aliasRoutes(): Hono<Env> {
  const app = new Hono<Env>();
  app.get('/', async (c) => {
    const t = c.get('t');
    const q = (c.req.query('q') ?? '').slice(0, 200);
    const aliases = (await listAliases(c.get('deps').stores)).filter((a) => matches(q, a.alias, a.target));
    const csrf = c.get('session').csrf;
    const rows = aliases.map((a) => [a.alias, aliasTargetText(a), aliasEnvelope(a),
      html`<details><summary>${t('common.change')}</summary><form method="post" action="/admin/aliases/change" class="inline">${csrfField(csrf)}
<input type="hidden" name="alias" value="${a.alias}"><input name="target" value="${aliasTargetText(a)}" aria-label="${t('aliases.target')}"><button type="submit">${t('common.save')}</button></form></details>
${button(c, '/admin/aliases/delete', t('common.delete'), { alias: a.alias }, { danger: true })}`]);
    return page(c, t('aliases.title'), html`
${searchBox(c, BACK, q, 'aliases')}
${table([t('aliases.alias'), t('aliases.target'), t('aliases.envelope'), ''], rows, t('aliases.none'), 'aliases')}
<h2>${t('aliases.add')}</h2>
<form method="post" action="/admin/aliases/add" class="grid">${csrfField(csrf)}
<label>${t('aliases.alias')} <input name="alias" required placeholder="info@example.com"></label>
<label>${t('aliases.target')} <input name="target" required placeholder="real@example.com[,0|,1]"></label>
<button type="submit">${t('aliases.add')}</button>
<p class="hint">${t('aliases.hint')}</p></form>`);
  });
  app.post('/change', async (c) => {
    const body = await formBody(c);
    return act(c, BACK, async () => {
      const { alias, warnings } = await changeAlias(c.get('deps').stores, field(body, 'alias'), field(body, 'target').trim());
      return [c.get('t')('aliases.changed', { alias: alias.alias, target: aliasTargetText(alias) }), ...warnings];
    });
  });
  app.post('/add', async (c) => {
    const body = await formBody(c);
    return act(c, BACK, async () => {
      const { alias, warnings } = await addAlias(c.get('deps').stores, field(body, 'alias'), field(body, 'target').trim());
      return [c.get('t')('aliases.added', { alias: alias.alias, target: aliasTargetText(alias) }), ...warnings];
    });
  });
  app.post('/delete', async (c) => {
    const body = await formBody(c);
    return act(c, BACK, async () => c.get('t')('aliases.deleted', { alias: await deleteAlias(c.get('deps').stores, field(body, 'alias')) }));
  });
  return app;
}
