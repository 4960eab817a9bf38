/** The page shell: navigation, language switch, logout, flash messages. Every value goes through hono's escaping html``. */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Ctx } from './deps.ts';
import { csrfField } from './csrf.ts';
import type { Key } from './i18n/en.ts';
import { LANGS } from './i18n.ts';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const NAV: [string, Key][] = [
  ['/admin/', 'nav.dashboard'], ['/admin/domains', 'nav.domains'], ['/admin/accounts', 'nav.accounts'], ['/admin/aliases', 'nav.aliases'],
  ['/admin/lists', 'nav.lists'], ['/admin/queue', 'nav.queue'], ['/admin/config', 'nav.config'], ['/admin/logs', 'nav.logs'],
  ['/admin/dns', 'nav.dns'], ['/admin/tls', 'nav.tls'],
];

function langSwitch(c: Ctx): Html {
  const here = c.req.path + (new URL(c.req.url).search || '');
  return html`<span class="langs">${LANGS.map((l) => (l === c.get('lang')
    ? html`<strong>${l === 'ja' ? '日本語' : 'English'}</strong> `
    : html`<a href="/admin/lang?to=${l}&amp;back=${encodeURIComponent(here)}" hreflang="${l}">${l === 'ja' ? '日本語' : 'English'}</a> `))}</span>`;
}

export function page(c: Ctx, title: string, body: Html, status = 200): Response | Promise<Response> {
  const t = c.get('t');
  const s = c.get('session');
  const flash = s.flash.splice(0);
  const doc = html`<!doctype html>
<html lang="${c.get('lang')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — ${t('app.name')}</title>
<link rel="stylesheet" href="/admin/static/console.css">
<script src="/admin/static/htmx.min.js" defer></script>
</head>
<body hx-headers='{"x-csrf-token": "${s.csrf}"}'>
<header>
  <span class="brand">${t('app.name')}</span>
  ${s.user ? html`<nav>${NAV.map(([href, key]) => html`<a href="${href}"${c.req.path === href ? html` aria-current="page"` : ''}>${t(key)}</a>`)}</nav>` : ''}
  <span class="right">${langSwitch(c)}
  ${s.user ? html`<span class="user">${s.user}</span>
  <form method="post" action="/admin/logout" class="inline">${csrfField(s.csrf)}<button type="submit">${t('nav.logout')}</button></form>` : ''}</span>
</header>
<main>
<h1>${title}</h1>
${flash.map((f) => html`<p class="flash ${f.kind}" role="${f.kind === 'error' ? 'alert' : 'status'}">${f.text}</p>`)}
${body}
</main>
</body>
</html>`;
  return c.html(doc, status as 200);
}

/** A table: header cells and rows of cells (each already html or plain text, escaped). */
export function table(head: string[], rows: (string | number | Html)[][], empty: string, id?: string): Html {
  if (!rows.length) return html`<p class="empty"${id ? html` id="${id}"` : ''}>${empty}</p>`;
  return html`<table${id ? html` id="${id}"` : ''}><thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr>${r.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody></table>`;
}

/** A one-button POST form (delete, retry, rollback …), with the CSRF token. */
export function button(c: Ctx, action: string, label: string, fields: Record<string, string> = {}, opts: { danger?: boolean } = {}): Html {
  return html`<form method="post" action="${action}" class="inline">${csrfField(c.get('session').csrf)}${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}<button type="submit"${opts.danger ? html` class="danger"` : ''}>${label}</button></form>`;
}

/** A search box: a plain GET form, and with htmx the table follows as one types. */
export function searchBox(c: Ctx, action: string, q: string, target: string, extra: Html = html``): Html {
  const t = c.get('t');
  return html`<form method="get" action="${action}" class="search" role="search">
<input type="search" name="q" value="${q}" placeholder="${t('common.search')}" aria-label="${t('common.search')}"
 hx-get="${action}" hx-trigger="input changed delay:300ms, search" hx-target="#${target}" hx-select="#${target}" hx-swap="outerHTML">
${extra}<button type="submit">${t('common.search')}</button></form>`;
}

/** Rows whose cells contain `q` (case-insensitive); all when q is empty. */
export function matches(q: string, ...cells: (string | undefined)[]): boolean {
  if (!q) return true;
  const needle = q.toLowerCase();
  return cells.some((c) => c?.toLowerCase().includes(needle));
}
