/** Accounts: list and search, add, change, delete — the CLI's operations (appliance/operations/accounts.ts). */
import { Hono } from 'hono';
import { AUTOCONFIG_PATHS } from '../../autoconfig/routes.ts';
import { html } from 'hono/html';
import type { AccountInput } from '../../../core/store/ports.ts';
import type { Ctx, Env } from '../deps.ts';
import { accountFlags, addAccount, changeAccount, deleteAccount, listAccounts } from '../../operations/accounts.ts';
import { checkText, parseAddress, parseNewAccount, parseQuota } from '../../cli/values.ts';
import { formatBytes } from '../../cli/io.ts';
import { csrfField } from '../csrf.ts';
import { act, checked, field, formBody } from '../form.ts';
import { button, matches, page, searchBox, table } from '../layout.ts';

const back = (q = '') => `/admin/accounts${q ? `?q=${encodeURIComponent(q)}` : ''}`;

function flagBoxes(c: Ctx, a?: { apop: boolean; pop3Disabled: boolean; imapDisabled: boolean }) {
  const t = c.get('t');
  const box = (name: string, label: string, on?: boolean) => html`<label class="check"><input type="checkbox" name="${name}" value="1"${on ? html` checked` : ''}> ${label}</label>`;
  return html`${box('apop', t('accounts.apop'), a?.apop)}${box('noPop3', t('accounts.noPop3'), a?.pop3Disabled)}${box('noImap', t('accounts.noImap'), a?.imapDisabled)}`;
}

export function accountRoutes(): Hono<Env> {
  const app = new Hono<Env>();
  app.get('/', async (c) => {
    const t = c.get('t');
    const { stores } = c.get('deps');
    const q = (c.req.query('q') ?? '').slice(0, 200);
    const accounts = (await listAccounts(stores)).filter((a) => matches(q, `${a.name}@${a.domain}`, a.fullName));
    const domains = await stores.domains.list();
    // the Apple configuration profile (autoconfig), to hand to the account's user
    const profiles = c.get('deps').running().autoconfig.enabled;
    const rows = accounts.map((a) => {
      const address = `${a.name}@${a.domain}`;
      const profile = profiles ? html` <a href="${AUTOCONFIG_PATHS.apple}?emailaddress=${encodeURIComponent(address)}" download class="profile">${t('accounts.appleProfile')}</a>` : '';
      return [address, a.fullName || '-', formatBytes(a.quota), accountFlags(a).join(', ') || '-',
        html`<a href="/admin/accounts/edit?address=${encodeURIComponent(address)}">${t('common.change')}</a>${profile} ${button(c, '/admin/accounts/delete', t('common.delete'), { address }, { danger: true })}`];
    });
    return page(c, t('accounts.title'), html`
${searchBox(c, '/admin/accounts', q, 'accounts')}
${table([t('accounts.address'), t('accounts.fullName'), t('accounts.quota'), t('accounts.flags'), ''], rows, t('accounts.none'), 'accounts')}
<h2>${t('accounts.add')}</h2>
${domains.length ? html`<form method="post" action="/admin/accounts/add" class="grid">${csrfField(c.get('session').csrf)}
<label>${t('accounts.local')} <input name="local" required pattern="[A-Za-z0-9_+.\\-]+"></label>
<label>${t('accounts.domain')} <select name="domain">${domains.map((d) => html`<option>${d.name}</option>`)}</select></label>
<label>${t('accounts.password')} <input name="password" type="password" autocomplete="new-password" required></label>
<label>${t('accounts.fullName')} <input name="fullName"></label>
<label>${t('accounts.quota')} <input name="quota" placeholder="50M" value="0"></label>
<div>${flagBoxes(c)}</div>
<button type="submit">${t('accounts.add')}</button></form>` : html`<p>${t('accounts.noDomain')} <a href="/admin/domains">${t('nav.domains')}</a></p>`}`);
  });

  app.post('/add', async (c) => {
    const body = await formBody(c);
    const { stores } = c.get('deps');
    return act(c, back(), async () => {
      const { local, domain } = parseNewAccount(`${field(body, 'local').trim()}@${field(body, 'domain').trim()}`);
      const quotaText = field(body, 'quota').trim();
      const a = await addAccount(stores, {
        local, domain, password: field(body, 'password', 1024), fullName: checkText(field(body, 'fullName'), 'the full name'),
        quota: quotaText ? parseQuota(quotaText) : 0, apop: checked(body, 'apop'), pop3Disabled: checked(body, 'noPop3'), imapDisabled: checked(body, 'noImap'),
      });
      return c.get('t')('accounts.added', { address: `${a.name}@${a.domain}` });
    });
  });

  app.get('/edit', async (c) => {
    const t = c.get('t');
    const address = c.req.query('address') ?? '';
    const a = await c.get('deps').stores.accounts.get(address);
    if (!a) return c.text(`no account ${address}\n`, 404);
    return page(c, t('accounts.changeTitle', { address }), html`<form method="post" action="/admin/accounts/change" class="grid">${csrfField(c.get('session').csrf)}
<input type="hidden" name="address" value="${address}">
<label>${t('accounts.newPassword')} <input name="password" type="password" autocomplete="new-password"></label>
<label>${t('accounts.fullName')} <input name="fullName" value="${a.fullName}"></label>
<label>${t('accounts.quota')} <input name="quota" value="${a.quota}"></label>
<div>${flagBoxes(c, a)}</div>
<button type="submit">${t('common.save')}</button> <a href="/admin/accounts">${t('common.cancel')}</a></form>`);
  });

  app.post('/change', async (c) => {
    const body = await formBody(c);
    const { stores } = c.get('deps');
    const address = field(body, 'address');
    return act(c, back(), async () => {
      const apop = checked(body, 'apop');
      const patch: Partial<AccountInput> = {
        fullName: checkText(field(body, 'fullName'), 'the full name'), quota: parseQuota(field(body, 'quota').trim() || '0'),
        smtpAuth: apop, apop, pop3Disabled: checked(body, 'noPop3'), imapDisabled: checked(body, 'noImap'),
      };
      const password = field(body, 'password', 1024);
      if (password) patch.password = password;
      const { account, apopWithoutSecret } = await changeAccount(stores, parseAddress(address).address, patch);
      const done = c.get('t')('accounts.changed', { address: `${account.name}@${account.domain}` });
      return apopWithoutSecret ? [done, `warning: ${c.get('t')('accounts.apopNoSecret')}`] : done;
    });
  });

  app.post('/delete', async (c) => {
    const body = await formBody(c);
    const address = field(body, 'address');
    return act(c, back(), async () => {
      const pointing = await deleteAccount(c.get('deps').stores, parseAddress(address).address);
      const done = c.get('t')('accounts.deleted', { address });
      return pointing.length ? [done, `warning: ${c.get('t')('accounts.aliasesPoint', { aliases: pointing.join(', ') })}`] : done;
    });
  });
  return app;
}
