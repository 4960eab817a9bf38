/**
 * The config repository: history with diffs, the running commit, rollback, and an editor for
 * mailserver.config.ts. A save and a rollback go through the config service's own requests
 * (config-repo/service.ts), the path of a push and of `mailserver config rollback`: the sandboxed
 * evaluation, the schema, the policy tests and the live apply, and the commit is authored by the
 * logged-in admin. A refused save shows why and keeps the text in the editor.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { Ctx, Env } from '../deps.ts';
import { CONFIG_FILE } from '../../config-repo/checkout.ts';
import { lineDiff } from '../../config-repo/line-diff.ts';
import { commitStates, readApplies } from '../../config-repo/apply-journal.ts';
import { RevisionError, type CommitAuthor } from '../../config-repo/repository.ts';
import { csrfField } from '../csrf.ts';
import { field, formBody } from '../form.ts';
import { button, page, table } from '../layout.ts';

/** The commit the appliance runs: `<dataDir>/config` links to its checkout. */
export function runningCommit(dataDir: string): string | null {
  try {
    const m = /checkouts[/\\]([0-9a-f]{40})$/.exec(fs.readlinkSync(path.join(dataDir, 'config')));
    return m?.[1] ?? null;
  } catch {
    return null;
  }
}

const short = (oid: string | null | undefined) => (oid ? oid.slice(0, 10) : '-');
const author = (c: Ctx): CommitAuthor => ({ name: c.get('session').user!, email: c.get('session').user! });

/** lineDiff's table is lines × lines: beyond MAX_CELLS it would hold the event loop, so such a file is only said to have changed. */
const MAX_CELLS = 1_000_000;
function boundedDiff(a: string, b: string, tooLarge: string): string[] {
  const cells = (a.split('\n').length + 1) * (b.split('\n').length + 1);
  return cells > MAX_CELLS ? [` ${tooLarge}`] : lineDiff(a, b);
}

function diffBlock(files: { name: string; lines: string[] }[]) {
  return html`${files.map((f) => html`<h3 class="file">${f.name}</h3><pre class="diff">${f.lines.map((l) => html`<span class="${l[0] === '+' ? 'add' : l[0] === '-' ? 'del' : 'ctx'}">${l}</span>\n`)}</pre>`)}`;
}

function editor(c: Ctx, text: string, base: string | null, message: string, problems: string[], status = 200) {
  const t = c.get('t');
  return page(c, t('config.editTitle'), html`
${problems.length ? html`<div class="refused" role="alert"><h2>${t('config.refused')}</h2><ul>${problems.map((p) => html`<li><code>${p}</code></li>`)}</ul></div>` : ''}
<form method="post" action="/admin/config/edit" class="editor">${csrfField(c.get('session').csrf)}
<input type="hidden" name="base" value="${base ?? ''}">
<label for="source">${CONFIG_FILE} (${t('config.base')} ${short(base)})</label>
<textarea id="source" name="source" rows="30" spellcheck="false">${text}</textarea>
<label>${t('config.message')} <input name="message" value="${message}" required placeholder="${t('config.messageHint')}"></label>
<button type="submit">${t('config.save')}</button> <a href="/admin/config">${t('common.cancel')}</a>
</form>`, status);
}

export function configRoutes(): Hono<Env> {
  const app = new Hono<Env>();
  app.get('/', async (c) => {
    const t = c.get('t');
    const { repo, dataDir } = c.get('deps');
    const running = runningCommit(dataDir);
    const head = await repo.head();
    const log = await repo.log(50);
    // as `config log`: which commits ran here before and which were refused
    const states = commitStates(readApplies(dataDir));
    const state = (oid: string) => {
      const s = oid === running ? undefined : states.get(oid);
      return s === 'applied' ? html` <span class="badge applied">${t('config.applied')}</span>` : s === 'refused' ? html` <span class="badge refused">${t('config.refusedState')}</span>` : '';
    };
    const rows = log.map((e) => [
      html`<a href="/admin/config/commit?oid=${e.oid}"><code>${short(e.oid)}</code></a>${e.oid === running ? html` <span class="badge">${t('config.running')}</span>` : ''}${state(e.oid)}${e.oid === head ? html` <span class="badge head">HEAD</span>` : ''}`,
      e.date.toISOString().replace(/\.\d+Z$/, 'Z'), `${e.author.name} <${e.author.email}>`, e.message.split('\n')[0] ?? '',
      e.oid === running ? '' : button(c, '/admin/config/rollback', t('config.rollback'), { rev: e.oid }, { danger: true }),
    ]);
    return page(c, t('config.title'), html`<dl>
<dt>${t('config.running')}</dt><dd id="running-commit"><code>${short(running)}</code></dd>
<dt>HEAD</dt><dd><code>${short(head)}</code></dd></dl>
<p><a class="button" href="/admin/config/edit">${t('config.edit')}</a> <a href="/admin/config/file">${t('config.showFile')}</a></p>
<h2>${t('config.history')}</h2>
${table([t('config.commit'), t('config.date'), t('config.author'), t('config.message'), ''], rows, t('config.noHistory'), 'history')}`);
  });

  app.get('/file', async (c) => {
    const text = (await c.get('deps').repo.read(CONFIG_FILE))?.toString('utf8') ?? '';
    return page(c, CONFIG_FILE, html`<pre class="source">${text}</pre>`);
  });

  app.get('/commit', async (c) => {
    const t = c.get('t');
    const { repo } = c.get('deps');
    let oid: string;
    try {
      oid = await repo.resolve(c.req.query('oid') ?? '');
    } catch (err) {
      if (err instanceof RevisionError) return c.text(`${err.message}\n`, 404);
      throw err;
    }
    const [info] = (await repo.log(200)).filter((e) => e.oid === oid);
    const parent = info?.parents[0];
    const after = await repo.files(oid);
    const before = parent ? await repo.files(parent) : {};
    const files = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
      .filter((f) => before[f]?.toString('utf8') !== after[f]?.toString('utf8'))
      .map((f) => ({ name: f, lines: boundedDiff(before[f]?.toString('utf8') ?? '', after[f]?.toString('utf8') ?? '', t('config.tooLarge')) }));
    return page(c, t('config.commitTitle', { oid: short(oid) }), html`
${info ? html`<p>${info.author.name} &lt;${info.author.email}&gt; · ${info.date.toISOString()}</p><pre class="message">${info.message}</pre>` : ''}
${files.length ? diffBlock(files) : html`<p class="empty">${t('config.noChange')}</p>`}
<p>${button(c, '/admin/config/rollback', t('config.rollback'), { rev: oid }, { danger: true })}</p>`);
  });

  app.get('/edit', async (c) => {
    const { repo } = c.get('deps');
    const head = await repo.head();
    const text = (await repo.read(CONFIG_FILE))?.toString('utf8') ?? '';
    return editor(c, text, head, '', []);
  });

  app.post('/edit', async (c) => {
    const body = await formBody(c);
    const text = field(body, 'source', c.get('deps').running().admin.console.maxBodyBytes).replace(/\r\n/g, '\n');
    const base = field(body, 'base') || null;
    const message = field(body, 'message', 1000).trim() || 'edit in the console';
    const lines: string[] = [];
    const answer = await c.get('deps').configRequest({ op: 'commit', base, files: { [CONFIG_FILE]: text }, message, author: author(c) }, (l) => lines.push(l));
    if (!answer.ok) {
      c.get('deps').log.warn({ user: c.get('session').user, lines }, 'console: config save refused');
      return editor(c, text, base, message, lines.filter((l) => /^(REFUSED|error)/.test(l)), 422);
    }
    c.get('deps').log.info({ user: c.get('session').user, commit: answer.oid }, 'console: config saved and applied');
    for (const l of lines) c.get('session').flash.push({ kind: 'ok', text: l });
    return c.redirect('/admin/config', 303);
  });

  app.post('/rollback', async (c) => {
    const body = await formBody(c);
    const s = c.get('session');
    const lines: string[] = [];
    try {
      const answer = await c.get('deps').configRequest({ op: 'rollback', rev: field(body, 'rev'), author: author(c) }, (l) => lines.push(l));
      for (const l of lines) s.flash.push({ kind: answer.ok ? 'ok' : /^(REFUSED|error)/.test(l) ? 'error' : 'ok', text: l });
      if (!answer.ok) s.flash.push({ kind: 'error', text: c.get('t')('config.rollbackRefused') });
    } catch (err) {
      s.flash.push({ kind: 'error', text: (err as Error).message });
    }
    return c.redirect('/admin/config', 303);
  });
  return app;
}
