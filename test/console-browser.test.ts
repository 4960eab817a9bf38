/**
 * The operator console in a real browser (Debian's chromium, headless, puppeteer-core) against
 * `mailserver start`: a wrong password refused, log in, the dashboard after real SMTP traffic,
 * add an account and see it listed (and its Apple profile link), a forged CSRF token refused,
 * a config edit refused with the schema's error and one applied, a rollback, a queue retry, the
 * DNS and TLS pages, and the Japanese pages. Each step leaves a screenshot in screenshots/.
 */
import t from 'tap';
import fs from 'node:fs';
import type { Browser, Page } from 'puppeteer-core';
import { ADMIN, PASSWORD, startConsoleAppliance, type ConsoleAppliance } from './helpers/console.ts';
import { launchBrowser, navigating, screenshot, texts } from './helpers/browser.ts';
import { smtpSteps } from './helpers/smtp-script.ts';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';

let env: ConsoleAppliance;
let browser: Browser;
let page: Page;
t.before(async () => {
  env = await startConsoleAppliance('console-browser-');
  browser = await launchBrowser();
  page = await browser.newPage();
});
t.teardown(async () => {
  await browser?.close();
  await env?.stop();
});

const url = (p: string) => env.base + p;
const flashes = () => texts(page, '.flash');

async function login(password: string): Promise<number> {
  await page.goto(url('/admin/login'));
  await page.locator('input[name="user"]').fill(ADMIN);
  await page.locator('input[name="password"]').fill(password);
  return navigating(page, () => page.click('form.login button[type="submit"]'));
}

t.test('a wrong password is refused, the right one logs in', async (t) => {
  const wall = await page.goto(url('/admin/accounts'));
  t.match(page.url(), /\/admin\/login\?next=%2Fadmin%2Faccounts$/, 'the login wall');
  t.equal(wall?.status(), 200);
  await screenshot(page, '01-login');
  t.equal(await login('not-the-password'), 401);
  t.match(await page.content(), /Wrong address or password/);
  await screenshot(page, '02-login-refused');
  t.equal(await login(PASSWORD), 200);
  t.equal(new URL(page.url()).pathname, '/admin/');
  t.same(await texts(page, 'header .user'), [ADMIN.toLowerCase()], 'logged in (addresses are kept in lower case)');
});

t.test('the dashboard shows real traffic', async (t) => {
  const msg = 'From: a@client.test\r\nTo: user@console.test\r\nSubject: hi\r\n\r\nhello\r\n';
  const r = await smtpSteps(env.smtpPort, [['cmd', 'MAIL FROM:<a@client.test>'], ['cmd', 'RCPT TO:<user@console.test>'], ['data', msg], ['cmd', 'MAIL FROM:<a@client.test>'], ['cmd', 'RCPT TO:<ghost@console.test>']]);
  t.same(r.map((x) => x[0]), [250, 250, 250, 250, 550]);
  // the receive log is written by the worker's stream: reload until the dashboard counts it
  let totals: string[] = [];
  for (let i = 0; i < 50; i++) {
    await page.goto(url('/admin/'));
    totals = await texts(page, '#totals tbody td');
    if (totals[1] === '1' && totals[2] === '1') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.same(totals.slice(1, 3), ['1', '1'], 'one accepted, one refused');
  t.equal((await page.$$('figure.chart svg polyline')).length, 4, 'the chart, drawn');
  const refusal = await texts(page, '#refusals tbody tr td');
  t.equal(refusal[3], 'RCPT');
  t.equal(refusal[4], '<ghost@console.test>');
  t.match(refusal[5], /^550 5\.1\.1/);
  t.ok(await page.$('#nodes'), 'the nodes table');
  await screenshot(page, '03-dashboard');
});

/** Fills the accounts page's add form (then `tamper` with it, if given) and submits it; the answer's status. */
async function addAccount(fields: Record<string, string>, tamper?: (form: string) => Promise<void>): Promise<number> {
  await page.goto(url('/admin/accounts'));
  const form = 'form[action="/admin/accounts/add"]';
  for (const [name, value] of Object.entries(fields)) await page.locator(`${form} input[name="${name}"]`).fill(value);
  await tamper?.(form);
  return navigating(page, () => page.click(`${form} button[type="submit"]`));
}

t.test('add an account and see it listed, with its Apple profile', async (t) => {
  t.equal(await addAccount({ local: 'carol', password: 'pw-carol-1', fullName: 'Carol Browser' }), 200);
  t.match((await flashes()).join('\n'), /Added account carol@console\.test/);
  const cells = await texts(page, '#accounts tbody td');
  t.ok(cells.includes('carol@console.test') && cells.includes('Carol Browser'), 'listed');
  const href = await page.$eval('#accounts a.profile[href*="carol"]', (a) => (a as HTMLAnchorElement).href);
  const profile = await fetch(href);
  t.equal(profile.status, 200);
  t.match(await profile.text(), /<key>EmailAddress<\/key>\s*<string>carol@console\.test<\/string>/, 'the profile is for carol');
  await screenshot(page, '04-accounts');
});

t.test('a forged CSRF token is refused and changes nothing', async (t) => {
  t.equal(await addAccount({ local: 'mallory', password: 'pw-mallory-1' }, async (form) => {
    await page.$eval(`${form} input[name="_csrf"]`, (el) => ((el as HTMLInputElement).value = 'forged-token-forged-token-forged-token-xx'));
  }), 403);
  t.match(await page.content(), /invalid or missing CSRF token/);
  await screenshot(page, '05-csrf-refused');
  const store = openEmbeddedStore(env.dataDir);
  try {
    t.equal(await store.accounts.get('mallory@console.test'), null, 'no account was made');
  } finally {
    await store.close();
  }
});

async function editConfig(change: (text: string) => string, message: string): Promise<number> {
  await page.goto(url('/admin/config/edit'));
  const text = await page.$eval('#source', (el) => (el as HTMLTextAreaElement).value);
  await page.$eval('#source', (el, v) => ((el as HTMLTextAreaElement).value = v), change(text));
  await page.locator('form.editor input[name="message"]').fill(message);
  return navigating(page, () => page.click('form.editor button[type="submit"]'));
}

/** The reply to a third recipient in a new session, until it is `want` (the worker applies the config just after the lead). */
async function thirdRcpt(want: number): Promise<number> {
  let code = 0;
  for (let i = 0; i < 20 && code !== want; i++) {
    const r = await smtpSteps(env.smtpPort, [['cmd', 'MAIL FROM:<a@client.test>'], ['cmd', 'RCPT TO:<user@console.test>'], ['cmd', 'RCPT TO:<carol@console.test>'], ['cmd', `RCPT TO:<${ADMIN}>`]]);
    code = r[3]![0];
  }
  return code;
}

t.test('the config editor: a refused save shows the schema error, a good one applies, rollback', async (t) => {
  await page.goto(url('/admin/config'));
  const first = (await texts(page, '#running-commit'))[0];
  t.match(first, /^[0-9a-f]{10}$/);

  const refused = await editConfig((s) => s.replace('maxRecipients: 100', 'maxRecipients: -5'), 'a negative limit');
  t.ok(refused >= 400, `refused (${refused})`);
  const problems = (await texts(page, '.refused li')).join('\n');
  t.match(problems, /smtp\.maxRecipients/, 'the error names the setting');
  t.match(await page.$eval('#source', (el) => (el as HTMLTextAreaElement).value), /maxRecipients: -5/, 'the text stays in the editor');
  await screenshot(page, '06-config-refused');

  t.equal(await editConfig((s) => s.replace('maxRecipients: 100', 'maxRecipients: 2'), 'two recipients at most'), 200);
  t.equal(new URL(page.url()).pathname, '/admin/config');
  const applied = (await texts(page, '#running-commit'))[0];
  t.not(applied, first, 'a new running commit');
  const top = await texts(page, '#history tbody tr:first-child td');
  t.equal(top[2], `${ADMIN.toLowerCase()} <${ADMIN.toLowerCase()}>`, 'authored by the logged-in admin');
  t.equal(top[3], 'two recipients at most');
  // the running appliance took it: a third RCPT is refused
  t.equal(await thirdRcpt(452), 452, 'the new limit is live');
  await screenshot(page, '07-config-applied');

  // roll back to the first commit: its row's button
  const row = (await page.$$('#history tbody tr')).length;
  t.equal(row, 2);
  t.equal(await navigating(page, () => page.click('#history tbody tr:last-child form button')), 200);
  t.match((await flashes()).join('\n'), /applied|rolled back/i);
  t.equal((await texts(page, '#running-commit'))[0], first, 'the first commit runs again');
  t.equal(await thirdRcpt(250), 250, 'the old limit is back');
  const marks = await page.$$eval('#history tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('.badge')].map((b) => b.className).join(' ') + ' | ' + (tr.children[3]?.textContent ?? '')));
  t.ok(marks.some((m) => /badge applied/.test(m) && m.endsWith('two recipients at most')), 'the commit that ran before is marked applied');
  await screenshot(page, '08-config-rolled-back');
});

t.test('queue: a queued message is shown and retried', async (t) => {
  const msg = 'From: user@console.test\r\nTo: far@remote.test\r\nSubject: out\r\n\r\nbye\r\n';
  const r = await smtpSteps(env.smtpPort, [['starttls'], ['login', 'user@console.test', 'pw-user'], ['cmd', 'MAIL FROM:<user@console.test>'], ['cmd', 'RCPT TO:<far@remote.test>'], ['data', msg]]);
  t.same(r.map((x) => x[0]), [220, 235, 250, 250, 250]);
  const id = /queued as ([0-9A-F]+)/.exec(r[4]![1])?.[1];
  t.ok(id, 'the client got an id');
  await page.goto(url('/admin/queue'));
  const cells = await texts(page, '#queue tbody td');
  t.equal(cells[0], id, 'listed under the client\'s id');
  t.equal(cells[3], 'far@remote.test');
  await screenshot(page, '09-queue');
  t.equal(await navigating(page, () => page.click('#queue form[action="/admin/queue/retry"] button')), 200);
  t.match((await flashes()).join('\n'), new RegExp(`1 recipients of ${id} due now`));
});

t.test('the DNS page lists MX, SPF, DKIM, DMARC and the SRV records of the listeners', async (t) => {
  await page.goto(url('/admin/dns'));
  const rows = (await page.$$eval('table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())))) as string[][];
  const types = rows.map((r) => r[1]);
  for (const type of ['MX', 'TXT', 'SRV']) t.ok(types.includes(type), type);
  const submission = rows.find((r) => r[0] === '_submission._tcp.console.test.');
  t.equal(submission?.[2], `10 1 ${env.smtpPort} console.test.`, 'the SMTP listener for clients');
  t.equal(rows.find((r) => r[0] === '_imaps._tcp.console.test.')?.[2], '0 0 0 .', 'no implicit-TLS IMAP listener: "."');
  await screenshot(page, '10-dns');
  await page.goto(url('/admin/tls'));
  t.match(await page.content(), /console\.test/);
  await screenshot(page, '11-tls');
});

t.test('Japanese: the switch, and a browser whose language is Japanese', async (t) => {
  await page.goto(url('/admin/'));
  t.equal(await navigating(page, () => page.click('.langs a[hreflang="ja"]')), 200);
  t.equal(await page.$eval('html', (h) => h.lang), 'ja');
  t.ok((await texts(page, 'h1')).includes('ダッシュボード'));
  await screenshot(page, '12-dashboard-ja');
  const ja = await browser.createBrowserContext();
  try {
    const p = await ja.newPage();
    await p.setExtraHTTPHeaders({ 'accept-language': 'ja-JP,ja;q=0.9' });
    await p.goto(url('/admin/login'));
    t.equal(await p.$eval('html', (h) => h.lang), 'ja', 'Accept-Language');
    t.match(await p.content(), /ログイン/);
  } finally {
    await ja.close();
  }
});

t.test('screenshots were written', async (t) => {
  const { SCREENSHOT_DIR } = await import('./helpers/browser.ts');
  for (const n of ['01-login', '03-dashboard', '04-accounts', '06-config-refused', '09-queue', '12-dashboard-ja']) {
    const f = `${SCREENSHOT_DIR}/${n}.png`;
    t.ok(fs.existsSync(f) && fs.statSync(f).size > 5000, n);
  }
});
