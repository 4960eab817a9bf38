/**
 * Config as code over the wire: an appliance started by `mailserver start` commits its
 * config into `<dataDir>/config.git`; the real git client clones it over HTTP (Basic auth as a
 * config admin), pushes a change that the appliance checks and applies live (SMTP behaviour
 * changes without a restart), and is refused with `remote:` lines naming the path or the policy
 * case when a push is bad; `mailserver config rollback` brings an earlier commit back.
 */
import t from 'tap';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { freePorts, seedStore, spawnAppliance, REPO_ROOT } from './helpers/process.ts';
import { tempDir } from './helpers/appliance.ts';
import { runCli } from './helpers/cli.ts';
import { authUrl, git, gitOk } from './helpers/git.ts';
import { smtpSteps, type Step } from './helpers/smtp-script.ts';
import { RawClient } from './helpers/raw-client.ts';

const ADMIN = 'Administrator@push.test';
const PASSWORD = 'admin-secret';

function configSource(ports: { smtp: number; pop3: number; http: number }, maxRecipients: number): string {
  return `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'push.test',
  smtp: { listen: ['127.0.0.1:${ports.smtp}'], maxRecipients: ${maxRecipients} },
  pop3: { listen: ['127.0.0.1:${ports.pop3}'] },
  imap: { listen: ['127.0.0.1:0'] },
  http: { listen: ['127.0.0.1:${ports.http}'] },
  delivery: { enabled: false },
  auth: { penalty: { initialDelayMs: 100, maxDelayMs: 400 } },
  plugins: [{ name: 'relay-effect', options: { rules: [] } }],
  log: { level: 'info' },
});
`;
}

const TWO_RCPTS: Step[] = [['cmd', 'MAIL FROM:<x@outside.test>'], ['cmd', 'RCPT TO:<a@push.test>'], ['cmd', 'RCPT TO:<b@push.test>']];

t.test('clone, push, refuse, roll back, restart', async (t) => {
  const dir = tempDir('config-push-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const [smtp, pop3, http] = await freePorts(3);
  const ports = { smtp: smtp!, pop3: pop3!, http: http! };
  const configFile = path.join(dir, 'mailserver.config.ts');
  fs.writeFileSync(configFile, configSource(ports, 100));
  await seedStore(dataDir, ['push.test'], { [ADMIN]: PASSWORD, 'a@push.test': 'pw-a', 'b@push.test': 'pw-b' });

  let app = spawnAppliance(configFile, dataDir);
  t.teardown(() => app.stop());
  await app.waitForLog('ready');
  const base = `http://127.0.0.1:${ports.http}/config.git`;
  const url = authUrl(base, ADMIN, PASSWORD);
  const work = path.join(dir, 'work');

  await t.test('mailserver start prints the git endpoint among its listeners', async (t) => {
    t.match(app.output(), new RegExp(`^http 127\\.0\\.0\\.1:${ports.http}$`, 'm'));
  });

  await t.test('the first start committed the config', async (t) => {
    const log = await runCli(['config', 'log', '--data', dataDir]);
    t.equal(log.code, 0, log.stderr);
    t.match(log.stdout, /initial config/);
    t.equal((await runCli(['config', 'url', '--data', dataDir])).stdout.trim(), base);
  });

  await t.test('clone needs a config admin', async (t) => {
    const raw = await fetch(`${base}/info/refs?service=git-upload-pack`);
    t.equal(raw.status, 401);
    t.match(raw.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    const wrong = await git(['clone', authUrl(base, ADMIN, 'wrong'), path.join(dir, 'nope')]);
    t.not(wrong.code, 0);
    t.match(wrong.stderr, /Authentication failed/);
    const notAdmin = await git(['clone', authUrl(base, 'a@push.test', 'pw-a'), path.join(dir, 'nope2')]);
    t.not(notAdmin.code, 0, 'an account that is not a config admin cannot read the config');
    // git compresses upload-pack requests (Content-Encoding: gzip); http-backend inflates them
    const head = (await gitOk(['--git-dir', path.join(dataDir, 'config.git'), 'rev-parse', 'main'])).trim();
    const body = gzipSync(Buffer.from(`0032want ${head}\n00000009done\n`));
    const pack = await fetch(`${base}/git-upload-pack`, {
      method: 'POST',
      body,
      headers: { authorization: `Basic ${Buffer.from(`${ADMIN}:${PASSWORD}`).toString('base64')}`, 'content-encoding': 'gzip', 'content-type': 'application/x-git-upload-pack-request' },
    });
    t.equal(pack.status, 200);
    t.match(Buffer.from(await pack.arrayBuffer()).toString('latin1'), /^0008NAK\nPACK/, 'a pack for a gzip request');
    await gitOk(['clone', '-q', url, work]);
    const text = fs.readFileSync(path.join(work, 'mailserver.config.ts'), 'utf8');
    t.match(text, /import \{ defineConfig \} from ['"]mailserver['"]/, 'the import of the appliance is portable');
    t.match(text, /maxRecipients: 100/);
  });

  await t.test('a good push is applied live', async (t) => {
    const before = await smtpSteps(ports.smtp, TWO_RCPTS);
    t.same(before.map((r) => r[0]), [250, 250, 250], 'two recipients accepted before');
    // a session open across the push finishes on the config it started with
    const open = await RawClient.connect(ports.smtp);
    t.match(await open.reply(), /^220/);
    t.match(await open.command('EHLO open.test'), /^250/);
    fs.writeFileSync(path.join(work, 'mailserver.config.ts'), fs.readFileSync(path.join(work, 'mailserver.config.ts'), 'utf8').replace('maxRecipients: 100', 'maxRecipients: 1'));
    await gitOk(['commit', '-qam', 'one recipient per message'], { cwd: work });
    const push = await git(['push', 'origin', 'main'], { cwd: work });
    t.equal(push.code, 0, push.stderr);
    t.match(push.stderr, /remote: .*change: smtp\.maxRecipients: 100 -> 1/);
    t.match(push.stderr, /remote: applied/);
    t.match(await open.command('MAIL FROM:<x@outside.test>'), /^250/);
    t.match(await open.command('RCPT TO:<a@push.test>'), /^250/);
    t.match(await open.command('RCPT TO:<b@push.test>'), /^250/, 'the open session keeps 100 recipients');
    await open.command('QUIT');
    const after = await smtpSteps(ports.smtp, TWO_RCPTS);
    t.equal(after[1]![0], 250);
    t.ok(after[2]![0] >= 400, `the second recipient is refused now (${after[2]!.join(' ')})`);
    // SIGHUP re-loads the running commit (the <dataDir>/config link), not the one started with
    app.child.kill('SIGHUP');
    for (let i = 0; i < 100 && !/SIGHUP: config (applied|not applied)/.test(app.output()); i++) await new Promise((r) => setTimeout(r, 100));
    t.match(app.output(), /SIGHUP: config applied/);
    t.ok((await smtpSteps(ports.smtp, TWO_RCPTS))[2]![0] >= 400, 'still the pushed config after SIGHUP');
  });

  await t.test('a push with a wrong type is refused with its path', async (t) => {
    const file = path.join(work, 'mailserver.config.ts');
    const good = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, good.replace("hostname: 'push.test'", "hostname: 42 as unknown as string").replace('maxRecipients: 1', "maxRecipients: 'many' as unknown as number"));
    await gitOk(['commit', '-qam', 'bad types'], { cwd: work });
    const push = await git(['push', 'origin', 'main'], { cwd: work });
    t.not(push.code, 0);
    t.match(push.stderr, /remote: .*REFUSED/);
    t.match(push.stderr, /remote: error: mailserver\.config\.ts: hostname: .*got 42/);
    t.match(push.stderr, /remote: error: mailserver\.config\.ts: smtp\.maxRecipients: .*"many"/);
    t.match(push.stderr, /pre-receive hook declined/);
    await gitOk(['reset', '-q', '--hard', 'origin/main'], { cwd: work });
    const still = await smtpSteps(ports.smtp, TWO_RCPTS);
    t.ok(still[2]![0] >= 400, 'still serving the last applied commit');
  });

  await t.test('a push that breaks its own policy test is refused naming the case', async (t) => {
    fs.writeFileSync(path.join(work, 'mailserver.tests.ts'), `import { definePolicyTests } from 'mailserver';
export default definePolicyTests({
  accounts: ['a@push.test'],
  cases: [
    { name: 'no open relay', from: '203.0.113.9', mailFrom: 'a@push.test', rcptTo: 'b@other.test', expect: 'refused' },
    { name: 'outsiders reach a local account', from: '203.0.113.9', mailFrom: 'x@other.test', rcptTo: 'a@push.test', expect: 'accepted' },
  ],
});
`);
    await gitOk(['add', '.'], { cwd: work });
    await gitOk(['commit', '-qm', 'policy tests'], { cwd: work });
    const ok = await git(['push', 'origin', 'main'], { cwd: work });
    t.equal(ok.code, 0, ok.stderr);
    t.match(ok.stderr, /remote: mailserver\.tests\.ts: 2 of 2 policy tests passed/);

    // an open relay for everyone: relay-effect's rule table says so, and the case catches it
    const file = path.join(work, 'mailserver.config.ts');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('rules: []', "rules: [{ match: '0.0.0.0/0' }]"));
    await gitOk(['commit', '-qam', 'open relay'], { cwd: work });
    const offline = await runCli(['config', 'check', work]);
    t.equal(offline.code, 1, 'config check finds it offline');
    t.match(offline.stderr, /case "no open relay" failed: expected refused, got accepted/);
    const push = await git(['push', 'origin', 'main'], { cwd: work });
    t.not(push.code, 0);
    t.match(push.stderr, /remote: error: mailserver\.tests\.ts: case "no open relay" failed: expected refused, got accepted/);
    await gitOk(['reset', '-q', '--hard', 'origin/main'], { cwd: work });
    const good = await runCli(['config', 'check', work]);
    t.equal(good.code, 0, good.stderr);
    t.match(good.stdout, /2 of 2 policy tests passed/);
  });

  await t.test('a push whose listener cannot bind is refused, the old one keeps serving', async (t) => {
    const [busyPort] = await freePorts(1);
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(busyPort, '127.0.0.1', () => r()));
    t.teardown(() => blocker.close());
    const file = path.join(work, 'mailserver.config.ts');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(`listen: ['127.0.0.1:${ports.smtp}']`, `listen: ['127.0.0.1:${ports.smtp}', '127.0.0.1:${busyPort}']`));
    await gitOk(['commit', '-qam', 'second SMTP listener'], { cwd: work });
    const push = await git(['push', 'origin', 'main'], { cwd: work });
    t.not(push.code, 0);
    t.match(push.stderr, new RegExp(`remote: REFUSED: the new config did not come up: .*127\\.0\\.0\\.1:${busyPort}.*EADDRINUSE`));
    t.match(push.stderr, /remote: the appliance stays on the previous commit/);
    await gitOk(['reset', '-q', '--hard', 'origin/main'], { cwd: work });
    t.ok((await smtpSteps(ports.smtp, TWO_RCPTS))[2]![0] >= 400, 'still the applied commit (one recipient)');
  });

  await t.test('only main may be pushed', async (t) => {
    const push = await git(['push', 'origin', 'main:refs/heads/other'], { cwd: work });
    t.not(push.code, 0);
    t.match(push.stderr, /remote: REFUSED: only the main branch/);
  });

  await t.test('rollback applies an earlier commit as a new one', async (t) => {
    const r = await runCli(['config', 'rollback', 'HEAD~2', '--data', dataDir]);
    t.equal(r.code, 0, r.stderr + r.stdout);
    t.match(r.stdout, /change: smtp\.maxRecipients: 1 -> 100/);
    t.match(r.stdout, /committed [0-9a-f]+: rollback to/);
    t.same((await smtpSteps(ports.smtp, TWO_RCPTS)).map((x) => x[0]), [250, 250, 250], 'two recipients again');
    await gitOk(['pull', '-q', '--ff-only'], { cwd: work });
    t.match(await gitOk(['log', '-1', '--format=%s'], { cwd: work }), /^rollback to/);
  });

  await t.test('after a restart the repository wins over the local file', async (t) => {
    await app.stop();
    fs.writeFileSync(configFile, configSource(ports, 1));
    app = spawnAppliance(configFile, dataDir);
    await app.waitForLog('ready');
    t.ok(app.logs().some((l) => l.level === 40 && String(l.msg).includes('differs from mailserver.config.ts in the config repository')), 'warned');
    t.same((await smtpSteps(ports.smtp, TWO_RCPTS)).map((x) => x[0]), [250, 250, 250], 'HEAD (100 recipients) runs, not the local file');
    const imported = await runCli(['config', 'import-file', configFile, '--data', dataDir]);
    t.equal(imported.code, 0, imported.stderr);
    t.match((await runCli(['config', 'show', '--data', dataDir])).stdout, /maxRecipients: 1\b/);
  });

  await t.test('guessing passwords is slowed down (auth.penalty), the right password still gets in', async (t) => {
    const auth = (pw: string) => ({ authorization: `Basic ${Buffer.from(`${ADMIN}:${pw}`).toString('base64')}` });
    const statuses: number[] = [];
    const started = Date.now();
    for (let i = 0; i < 6; i++) statuses.push((await fetch(`${base}/info/refs?service=git-upload-pack`, { headers: auth(`guess-${i}`) })).status);
    t.same(statuses, [401, 401, 401, 401, 401, 401], 'every wrong guess is answered 401, never 429');
    // penalties 0, 100, 200, 400, 400, 400 ms (auth.penalty in this config)
    t.ok(Date.now() - started >= 1500, `each guess waited (${Date.now() - started} ms for six)`);
    const right = Date.now();
    t.equal((await fetch(`${base}/info/refs?service=git-upload-pack`, { headers: auth(PASSWORD) })).status, 200, 'the right password gets in');
    t.ok(Date.now() - right >= 400, 'after the penalty of this IP and login');
  });
});
