/**
 * `config rollback` without REV goes back to the commit applied before the running one, not to
 * HEAD~1, which here is a commit that was refused at start (its listener could not bind) and never
 * ran; `config log` marks each commit running, applied, refused or never run. Real appliance
 * processes (`mailserver start`), the real CLI, SMTP over a socket.
 */
import t from 'tap';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePorts, seedStore, spawnAppliance, REPO_ROOT } from './helpers/process.ts';
import { tempDir } from './helpers/appliance.ts';
import { runCli } from './helpers/cli.ts';
import { smtpSteps, type Step } from './helpers/smtp-script.ts';
import { ConfigRepository } from '../appliance/config-repo/repository.ts';
import { recordApply } from '../appliance/config-repo/apply-journal.ts';

function configSource(ports: { smtp: number[]; pop3: number; http: number }, maxRecipients: number): string {
  return `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'rollback.test',
  smtp: { listen: ${JSON.stringify(ports.smtp.map((p) => `127.0.0.1:${p}`))}, maxRecipients: ${maxRecipients} },
  pop3: { listen: ['127.0.0.1:${ports.pop3}'] },
  imap: { listen: ['127.0.0.1:0'] },
  http: { listen: ['127.0.0.1:${ports.http}'] },
  delivery: { enabled: false },
  node: { workers: 1 },
  log: { level: 'info' },
});
`;
}

const THREE_RCPTS: Step[] = [['cmd', 'MAIL FROM:<x@outside.test>'], ['cmd', 'RCPT TO:<a@rollback.test>'], ['cmd', 'RCPT TO:<b@rollback.test>'], ['cmd', 'RCPT TO:<c@rollback.test>']];
const codes = async (port: number) => (await smtpSteps(port, THREE_RCPTS)).map((x) => x[0]);

t.test('rollback without REV skips a refused HEAD~1; config log marks the commits', async (t) => {
  const dir = tempDir('config-rollback-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const [smtp, pop3, http, busy] = await freePorts(4);
  const ports = { smtp: [smtp!], pop3: pop3!, http: http! };
  const file = path.join(dir, 'mailserver.config.ts');
  await seedStore(dataDir, ['rollback.test'], { 'a@rollback.test': 'pw-a', 'b@rollback.test': 'pw-b', 'c@rollback.test': 'pw-c' });

  // B: the first start commits and runs it (one recipient per message)
  fs.writeFileSync(file, configSource(ports, 1));
  let app = spawnAppliance(file, dataDir);
  t.teardown(() => app.stop());
  await app.waitForLog('ready');
  t.same(await codes(smtp!), [250, 250, 452, 452], 'B runs: maxRecipients 1');
  await app.stop();
  const b = (await runCli(['config', 'log', '-n', '1', '--data', dataDir])).stdout.slice(0, 10);

  // C: a second SMTP listener on a port someone else holds; the start fails, C never runs
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(busy, '127.0.0.1', () => r()));
  t.teardown(() => blocker.close());
  fs.writeFileSync(file, configSource({ ...ports, smtp: [smtp!, busy!] }, 2));
  t.equal((await runCli(['config', 'import-file', file, '--data', dataDir])).code, 0);
  app = spawnAppliance(file, dataDir);
  const failed = await app.exited;
  t.not(failed.code, 0, 'the start on C fails');
  t.match(app.output(), /EADDRINUSE/);

  // D: a good one again (three recipients)
  fs.writeFileSync(file, configSource(ports, 3));
  t.equal((await runCli(['config', 'import-file', file, '--data', dataDir])).code, 0);
  app = spawnAppliance(file, dataDir);
  await app.waitForLog('ready');
  t.same(await codes(smtp!), [250, 250, 250, 250], 'D runs: maxRecipients 3');

  const log = await runCli(['config', 'log', '--data', dataDir]);
  t.equal(log.code, 0, log.stderr);
  const lines = log.stdout.trim().split('\n');
  t.equal(lines.length, 3, log.stdout);
  t.match(lines[0], /^[0-9a-f]{10} {2}running {2}.*import mailserver\.config\.ts$/, 'D runs');
  t.match(lines[1], /^[0-9a-f]{10} {2}refused {2}.*import mailserver\.config\.ts$/, 'C was refused');
  t.match(lines[2], new RegExp(`^${b} {2}applied {2}.*initial config$`), 'B ran before');

  const back = await runCli(['config', 'rollback', '--data', dataDir]);
  t.equal(back.code, 0, back.stdout + back.stderr);
  t.match(back.stdout, new RegExp(`committed [0-9a-f]+: rollback to ${b.slice(0, 7)}`), 'back to B, the commit applied before D');
  t.same(await codes(smtp!), [250, 250, 452, 452], 'B runs again');
  const after = (await runCli(['config', 'log', '-n', '2', '--data', dataDir])).stdout.trim().split('\n');
  t.match(after[0], /^[0-9a-f]{10} {2}running {2}.*rollback to/);
  t.match(after[1], /^[0-9a-f]{10} {2}applied {2}.*import mailserver\.config\.ts$/, 'D is an applied commit now');
});

t.test('rollback without REV where no appliance ever ran: the commit before HEAD, checked offline', async (t) => {
  const dir = tempDir('config-rollback-none-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const file = path.join(dir, 'mailserver.config.ts');
  const [smtp, pop3, http] = await freePorts(3);
  fs.writeFileSync(file, configSource({ smtp: [smtp!], pop3: pop3!, http: http! }, 1));
  t.equal((await runCli(['config', 'import-file', file, '--data', dataDir])).code, 0);
  fs.writeFileSync(file, configSource({ smtp: [smtp!], pop3: pop3!, http: http! }, 2));
  t.equal((await runCli(['config', 'import-file', file, '--data', dataDir])).code, 0);
  const repo = await ConfigRepository.open(dataDir);
  const [head, before] = await repo.log();
  const r = await runCli(['config', 'rollback', '--data', dataDir]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, new RegExp(`rollback to ${before.oid.slice(0, 10)}`), 'nothing was applied here: the commit before HEAD');
  t.same((await repo.files((await repo.log())[0].oid))['mailserver.config.ts'], (await repo.files(before.oid))['mailserver.config.ts'], 'HEAD has its files');
  t.not((await repo.log())[0].oid, head.oid);
});

t.test('rollback without REV when only the running commit was ever applied: a clear refusal', async (t) => {
  const dir = tempDir('config-rollback-one-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const repo = await ConfigRepository.open(dataDir);
  const commit = await repo.commit({ 'mailserver.config.ts': "import { defineConfig } from 'mailserver';\nexport default defineConfig({});\n" }, 'initial', { name: 'T', email: 't@x' });
  recordApply(dataDir, { commit, result: 'applied', label: 'start' });
  const r = await runCli(['config', 'rollback', '--data', dataDir]);
  t.equal(r.code, 1);
  t.match(r.stderr, /no commit was applied before the running one \([0-9a-f]{10}\); give the REV/);
});
