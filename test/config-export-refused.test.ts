/**
 * MF-2 units digit: an IP the mail filter refuses at runtime shows up in the
 * config history. Over real SMTP: a message hitting a Level x01 rule -> a commit by "mailfilter"
 * naming the IP and the rule, with data/refused-ips.txt listing it; `filter unrefuse` takes it
 * off and commits too. Without a config repository the ban still works and nothing is created.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startTestAppliance, seedAccounts, tempDir } from './helpers/appliance.ts';
import { smtpSteps } from './helpers/smtp-script.ts';
import { runCli } from './helpers/cli.ts';
import { ConfigRepository } from '../appliance/config-repo/repository.ts';

const MAIL_DAT = `' seed format
Virus:ban the sender
Subject:banme
Level:101
VirusEnd:
`;

async function send(port: number, subject: string, source: string) {
  const data = `From: x@client.test\r\nTo: bob@example.test\r\nSubject: ${subject}\r\n\r\nhello\r\n`;
  const r = await smtpSteps(port, [['cmd', 'MAIL FROM:<x@client.test>'], ['cmd', 'RCPT TO:<bob@example.test>'], ['data', data]], source);
  return r[r.length - 1];
}

async function until<T>(fn: () => Promise<T | null | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function config(dir: string) {
  const file = path.join(dir, 'mail.dat');
  fs.writeFileSync(file, MAIL_DAT.replace(/\n/g, '\r\n'));
  return {
    delivery: { enabled: false },
    plugins: [{ name: 'relay-effect', options: {} }, { name: 'mailfilter', options: { file } }],
  };
}

t.test('a Level 101 hit is committed by "mailfilter"; unrefuse commits too', async (t) => {
  const dataDir = tempDir();
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const repo = await ConfigRepository.open(dataDir);
  await repo.commit({ 'mailserver.config.ts': 'export default {};\n' }, 'initial', { name: 'op', email: 'op@test' });
  const app = await startTestAppliance(config(dataDir), dataDir);
  t.teardown(() => app.close());
  await seedAccounts(app, 'example.test', ['bob']);

  const started = Date.now();
  t.match(await send(app.smtpPort, 'banme now', '127.0.0.5'), [550, /5\.7\.1/], '1xx refuses the message');
  const elapsed = Date.now() - started;
  t.ok(await app.store.refusedIps!.has('127.0.0.5'), 'the store refuses the IP');
  t.match((await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<x@client.test>']], '127.0.0.5'))[0], [550], 'relay-effect refuses it from now on');

  const commit = await until(async () => (await repo.log(5)).find((c) => c.message.startsWith('refuse 127.0.0.5')));
  t.equal(commit.message.trim(), 'refuse 127.0.0.5: mail filter rule "ban the sender"');
  t.equal(commit.author.name, 'mailfilter');
  const file = (await repo.read('data/refused-ips.txt', commit.oid))!.toString();
  t.match(file, /^127\.0\.0\.5\t\d{4}-\d\d-\d\dT.*Z\tmail filter rule "ban the sender"$/m);
  t.ok(await repo.read('mailserver.config.ts', commit.oid), 'the rest of the tree is kept');
  t.comment(`SMTP transaction with the ban: ${elapsed} ms`);

  // a second IP: a second commit, the file lists both (sorted)
  t.match(await send(app.smtpPort, 'banme too', '127.0.0.6'), [550]);
  const second = await until(async () => (await repo.log(5)).find((c) => c.message.startsWith('refuse 127.0.0.6')));
  t.match((await repo.read('data/refused-ips.txt', second.oid))!.toString(), /^127\.0\.0\.5\t[^\n]*\n127\.0\.0\.6\t/m);

  // the CLI log of the history (helper A's `config log`, when present) shows it as well
  const log = await runCli(['config', 'log', '--data', dataDir]);
  if (log.code === 0) t.match(log.stdout, /refuse 127\.0\.0\.6/);

  const un = await runCli(['filter', 'unrefuse', '127.0.0.5', '--data', dataDir]);
  t.equal(un.code, 0, un.stderr);
  t.match(un.stdout, /127\.0\.0\.5 removed\ncommitted [0-9a-f]{7} \(data\/refused-ips\.txt\)/);
  const head = (await repo.log(1))[0];
  t.equal(head.message.trim(), 'unrefuse 127.0.0.5');
  const now = (await repo.read('data/refused-ips.txt'))!.toString();
  t.notMatch(now, /127\.0\.0\.5/);
  t.match(now, /^127\.0\.0\.6\t/m);
  t.match((await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<x@client.test>']], '127.0.0.5'))[0], [250], '127.0.0.5 sends again');

  // the export writes the same file: nothing to commit for it
  const exported = await runCli(['export', '--data', dataDir]);
  t.equal(exported.code, 0, exported.stderr);
  const changed = exported.stdout.split('\n').filter((l) => l.startsWith('  data/'));
  t.notOk(changed.includes('  data/refused-ips.txt'), 'export and the mail filter write the same file');
});

t.test('without a config repository: the ban works and is only logged', async (t) => {
  const dataDir = tempDir();
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const app = await startTestAppliance(config(dataDir), dataDir);
  t.teardown(() => app.close());
  await seedAccounts(app, 'example.test', ['bob']);
  t.match(await send(app.smtpPort, 'banme', '127.0.0.8'), [550]);
  t.ok(await app.store.refusedIps!.has('127.0.0.8'));
  await new Promise((r) => setTimeout(r, 200));
  t.notOk(fs.existsSync(path.join(dataDir, 'config.git')), 'no repository is made for it');
});
