/**
 * A refused config push leaves no trace on the host. The pushed mailserver.config.ts
 * (and mailserver.tests.ts) runs only in the sandboxed check process: pushed over the config git
 * HTTP endpoint, a config with an invalid value whose top-level code listens on a port, runs
 * `touch` through execSync, writes a marker file into /tmp and into the data directory, and
 * arms a timer to listen later, is refused with the invalid value's path — and afterwards nothing
 * listens on the port and no marker exists. A good push is still applied live.
 */
import t from 'tap';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePorts, seedStore, spawnAppliance, REPO_ROOT } from '../helpers/process.ts';
import { tempDir } from '../helpers/appliance.ts';
import { authUrl, git, gitOk } from '../helpers/git.ts';
import { smtpSteps } from '../helpers/smtp-script.ts';

const ADMIN = 'Administrator@push.test';
const PASSWORD = 'admin-secret';

function configSource(ports: { smtp: number; pop3: number; http: number }, maxRecipients: number | string): string {
  return `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'push.test',
  smtp: { listen: ['127.0.0.1:${ports.smtp}'], maxRecipients: ${typeof maxRecipients === 'string' ? JSON.stringify(maxRecipients) + ' as unknown as number' : maxRecipients} },
  pop3: { listen: ['127.0.0.1:${ports.pop3}'] },
  imap: { listen: ['127.0.0.1:0'] },
  http: { listen: ['127.0.0.1:${ports.http}'] },
  delivery: { enabled: false },
  log: { level: 'info' },
});
`;
}

/** Resolves true when something accepts a connection on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

t.test('a refused push runs its code only in the sandbox', async (t) => {
  const dir = tempDir('config-sandbox-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const [smtp, pop3, http, evil, later] = await freePorts(5);
  const ports = { smtp: smtp!, pop3: pop3!, http: http! };
  const configFile = path.join(dir, 'mailserver.config.ts');
  fs.writeFileSync(configFile, configSource(ports, 100));
  await seedStore(dataDir, ['push.test'], { [ADMIN]: PASSWORD, 'a@push.test': 'pw-a', 'b@push.test': 'pw-b' });
  const app = spawnAppliance(configFile, dataDir);
  t.teardown(() => app.stop());
  await app.waitForLog('ready');
  const work = path.join(dir, 'work');
  await gitOk(['clone', '-q', authUrl(`http://127.0.0.1:${ports.http}/config.git`, ADMIN, PASSWORD), work]);

  // world-writable /tmp: only the sandbox, not file modes, keeps these from being written
  const markers = {
    touched: `/tmp/config-sandbox-touched-${process.pid}`,
    written: `/tmp/config-sandbox-written-${process.pid}`,
    inData: path.join(dataDir, 'pwned'),
    byTests: `/tmp/config-sandbox-tests-${process.pid}`,
  };
  t.teardown(() => Object.values(markers).forEach((m) => fs.rmSync(m, { force: true })));
  const attack = `import net from 'node:net';
import fs from 'node:fs';
import { execSync } from 'node:child_process';
const tries: string[] = [];
const attempt = (what: string, fn: () => unknown) => { try { fn(); tries.push(what + ': done'); } catch (e) { tries.push(what + ': ' + (e as Error).message); } };
attempt('listen', () => net.createServer().listen(${evil}, '127.0.0.1'));
attempt('exec', () => execSync('touch ${markers.touched}'));
attempt('write', () => fs.writeFileSync('${markers.written}', 'x'));
attempt('write data', () => fs.writeFileSync(${JSON.stringify(markers.inData)}, 'x'));
setTimeout(() => net.createServer().listen(${later}, '127.0.0.1'), 0);
`;
  fs.writeFileSync(path.join(work, 'mailserver.config.ts'), attack + configSource(ports, 'lots'));
  fs.writeFileSync(path.join(work, 'mailserver.tests.ts'), `import fs from 'node:fs';
import { definePolicyTests } from 'mailserver';
try { fs.writeFileSync('${markers.byTests}', 'x'); } catch {}
export default definePolicyTests({ cases: [] });
`);
  await gitOk(['add', '.'], { cwd: work });
  await gitOk(['commit', '-qm', 'invalid value and top-level side effects'], { cwd: work });
  const push = await git(['push', 'origin', 'main'], { cwd: work });
  t.not(push.code, 0, 'the push is refused');
  t.match(push.stderr, /remote: error: mailserver\.config\.ts: smtp\.maxRecipients: .*"lots"/, 'with the invalid value\'s path');

  t.notOk(await listening(evil!), `nothing listens on port ${evil}`);
  t.notOk(await listening(later!), `nothing listens on port ${later} (a timer in the pushed code)`);
  for (const [name, file] of Object.entries(markers)) t.notOk(fs.existsSync(file), `no marker file (${name}: ${file})`);
  t.ok(app.running, 'the appliance is still up');

  await t.test('a good push still applies', async (t) => {
    await gitOk(['reset', '-q', '--hard', 'origin/main'], { cwd: work });
    fs.writeFileSync(path.join(work, 'mailserver.config.ts'), fs.readFileSync(path.join(work, 'mailserver.config.ts'), 'utf8').replace('maxRecipients: 100', 'maxRecipients: 1'));
    await gitOk(['commit', '-qam', 'one recipient'], { cwd: work });
    const ok = await git(['push', 'origin', 'main'], { cwd: work });
    t.equal(ok.code, 0, ok.stderr);
    t.match(ok.stderr, /remote: applied/);
    const r = await smtpSteps(ports.smtp, [['cmd', 'MAIL FROM:<x@outside.test>'], ['cmd', 'RCPT TO:<a@push.test>'], ['cmd', 'RCPT TO:<b@push.test>']]);
    t.equal(r[1]![0], 250);
    t.ok(r[2]![0] >= 400, `the second recipient is refused now (${r[2]!.join(' ')})`);
  });
});
