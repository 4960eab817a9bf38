/**
 * The console's dashboard counts real SMTP traffic: messages accepted and RCPTs refused over
 * SMTP land in the node's receive log (LG-1, smtp-receive.log), and the dashboard shows them in
 * its totals and chart, with the latest refusals and their reply; delivery lines of a second
 * node's log are summed in, lines older than the window are not. A node's log larger than
 * `admin.console.activityScanBytes` is read only that far back, and the page says so.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { ConsoleClient, startConsoleAppliance, type ConsoleAppliance } from './helpers/console.ts';
import { smtpSteps } from './helpers/smtp-script.ts';
import { waitFor } from './helpers/sink.ts';

const SCAN_BYTES = 64 * 1024;

let env: ConsoleAppliance;
t.before(async () => {
  env = await startConsoleAppliance('console-dash-', { activityScanBytes: SCAN_BYTES });
});
t.teardown(() => env?.stop());

const receiveLogs = (dataDir: string) => {
  const root = path.join(dataDir, 'logs');
  return fs.existsSync(root) ? fs.readdirSync(root).map((n) => path.join(root, n, 'smtp-receive.log')).filter((f) => fs.existsSync(f)) : [];
};

t.test('accepted and refused SMTP commands are logged and counted on the dashboard', async (t) => {
  const msg = 'From: a@client.test\r\nTo: user@console.test\r\nSubject: dash\r\n\r\nhello\r\n';
  const replies = await smtpSteps(env.smtpPort, [
    ['cmd', 'MAIL FROM:<a@client.test>'], ['cmd', 'RCPT TO:<user@console.test>'], ['data', msg],
    ['cmd', 'MAIL FROM:<a@client.test>'], ['cmd', 'RCPT TO:<user@console.test>'], ['cmd', 'RCPT TO:<nobody@console.test>'], ['data', msg],
    ['cmd', 'MAIL FROM:<b@client.test>'], ['cmd', 'RCPT TO:<x@elsewhere.test>'],
  ]);
  t.same(replies.map((r) => r[0]), [250, 250, 250, 250, 250, 550, 250, 250, 554], 'two messages in, an unknown user and a relay refused');

  // every worker appends on its own stream: wait until the lines are written
  const lines = await waitFor('four receive-log lines', () => {
    const all = receiveLogs(env.dataDir).flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean));
    return all.length >= 4 ? all : null;
  });
  const fields = lines.map((l) => l.split('\t'));
  t.same(fields.map((f) => f[3]), ['accepted', 'refused', 'accepted', 'refused']);
  t.match(fields[0], [/^\d{4}-\d\d-\d\dT/, '127.0.0.1', /\S/, 'accepted', /^[0-9A-F]{12}$/, '<a@client.test>', '1', /^\d+$/]);
  t.match(fields[1], [/T/, '127.0.0.1', /\S/, 'refused', 'rcpt', '<nobody@console.test>', '550', '5.1.1', /nobody@console\.test/]);
  t.match(fields[3], [/T/, '127.0.0.1', /\S/, 'refused', 'rcpt', '<x@elsewhere.test>', '554', /^5\./, /[Rr]elay/]);

  // a second node's delivery log: two lines in the window, one older than 24 hours
  const other = path.join(env.dataDir, 'logs', 'node-z');
  fs.mkdirSync(other, { recursive: true });
  const now = Date.now();
  const at = (ms: number) => new Date(ms).toISOString();
  fs.writeFileSync(path.join(other, 'delivery.log'), [
    `${at(now - 30 * 3600_000)}\tAAAAAAAAAAAA\t<s@x.test>\t<r@y.test>\tsent\t1\t250 ok`,
    `${at(now - 20 * 60_000)}\tBBBBBBBBBBBB\t<s@x.test>\t<r@y.test>\tdeferred\t1\t451 later`,
    `${at(now - 10 * 60_000)}\tBBBBBBBBBBBB\t<s@x.test>\t<r@y.test>\tsent\t2\t250 ok`,
  ].join('\n') + '\n');

  const c = new ConsoleClient(env.base);
  await c.login();
  const page = await c.get('/admin/?hours=24');
  t.equal(page.status, 200);
  const totals = /<table id="totals">.*?<tbody><tr>(.*?)<\/tr>/s.exec(page.text)?.[1] ?? '';
  t.same([...totals.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]), ['Last 24 h', '2', '2', '1', '1'], 'accepted, refused, delivered, deferred');
  t.match(page.text, /<svg viewBox="0 0 720 200" role="img"/, 'the chart');
  t.equal([...page.text.matchAll(/<polyline class="line series-(\w+)"/g)].length, 4, 'one line per series');
  const refusals = /<table id="refusals">(.*?)<\/table>/s.exec(page.text)?.[1] ?? '';
  const rows = [...refusals.matchAll(/<tr><td>[^<]*<\/td><td>[^<]*<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td><code class="wrap">([^<]*)<\/code>/g)].map((m) => m.slice(1));
  t.equal(rows.length, 2);
  t.same(rows[0]!.slice(0, 3), ['127.0.0.1', 'RCPT', '&lt;x@elsewhere.test&gt;'], 'latest first');
  t.match(rows[1]![3], /^550 5\.1\.1 /, 'with the reply');
  const short = await c.get('/admin/?hours=1');
  t.match(short.text, /<strong>1 h<\/strong>/, 'the window chosen');
  t.match(short.text, /<td>Last 1 h<\/td><td>2<\/td><td>2<\/td><td>1<\/td><td>1<\/td>/, 'the lines of the last hour are all in it');
});

t.test('a log larger than admin.console.activityScanBytes is read that far back and flagged', async (t) => {
  const c = new ConsoleClient(env.base);
  await c.login();
  t.notMatch((await c.get('/admin/?hours=1')).text, /larger than the dashboard reads/, 'no hint while the logs are small');
  // a busy node: 2000 accepted messages over the last 40 minutes, about 200 KB of receive log
  const busy = path.join(env.dataDir, 'logs', 'node-busy');
  fs.mkdirSync(busy, { recursive: true });
  const now = Date.now();
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const at = new Date(now - 40 * 60_000 + i * 1200).toISOString();
    lines.push(`${at}\t192.0.2.7\tsession${i}\taccepted\t${String(i).padStart(12, '0')}\t<sender${i}@busy.test>\t1\t${1000 + i}`);
  }
  const text = lines.join('\n') + '\n';
  t.ok(text.length > 2 * SCAN_BYTES, 'the file is larger than the setting');
  fs.writeFileSync(path.join(busy, 'smtp-receive.log'), text);

  const page = await c.get('/admin/?hours=1');
  t.equal(page.status, 200);
  t.match(page.text, /larger than the dashboard reads/, 'the page says the window is undercounted');
  const accepted = Number(/<td>Last 1 h<\/td><td>(\d+)<\/td>/.exec(page.text)?.[1]);
  t.ok(accepted > 2 && accepted < 2 + 2000 * (SCAN_BYTES * 1.2) / text.length, `only the last ${SCAN_BYTES} bytes counted (${accepted} of 2002)`);
});
