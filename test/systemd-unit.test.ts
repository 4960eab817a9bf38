/**
 * The systemd unit (appliance/systemd/mailserver.service): `systemd-analyze verify` finds nothing
 * to say about it, it carries the hardening an operator looks for, and its commands work: the
 * ExecStart line starts the appliance (paths mapped from /opt/mailserver and /var/lib/mailserver
 * to this checkout and a temp directory), the ExecStartPost line returns 0 only once the workers
 * serve — SMTP answers at that moment — and 1 when no appliance comes up.
 */
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, freePorts } from './helpers/process.ts';

const UNIT = path.join(REPO_ROOT, 'appliance', 'systemd', 'mailserver.service');
const unit = fs.readFileSync(UNIT, 'utf8');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 150_000 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

/** The value of each `Key=` line (the last one wins, as in systemd). */
function directives(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const d = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (d) m.set(d[1], d[2]);
  }
  return m;
}

t.test('systemd-analyze verify: no warning', async (t) => {
  const r = await run('systemd-analyze', ['verify', UNIT]);
  t.equal(r.code, 0);
  t.equal(r.stderr.trim(), '', 'nothing reported');
  // the check would see a mistake: a copy with an unknown key and a bad value is reported
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-unit-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'mailserver.service'), unit.replace('ProtectSystem=strict', 'ProtectSystem=strikt').replace('NoNewPrivileges=yes', 'NoNewPrivilege=yes'));
  const bad = await run('systemd-analyze', ['verify', path.join(dir, 'mailserver.service')]);
  t.match(bad.stderr, /protect system value, ignoring: strikt/);
  t.match(bad.stderr, /Unknown key 'NoNewPrivilege'/);
});

t.test('the hardening and the low ports', async (t) => {
  const d = directives(unit);
  t.equal(d.get('User'), 'mailserver', 'a user of its own');
  t.equal(d.get('ProtectSystem'), 'strict');
  t.equal(d.get('ReadWritePaths'), '/var/lib/mailserver', 'writes only the data directory');
  t.equal(d.get('StateDirectoryMode'), '0700');
  t.equal(d.get('UMask'), '0077', 'mail and secrets readable by the appliance alone');
  t.equal(d.get('AmbientCapabilities'), 'CAP_NET_BIND_SERVICE', 'binds 25/465/587/993/995 without root');
  t.equal(d.get('CapabilityBoundingSet'), 'CAP_NET_BIND_SERVICE');
  t.equal(d.get('NoNewPrivileges'), 'yes');
  t.equal(d.get('ExecReload'), '/bin/kill -HUP $MAINPID', 'reload = SIGHUP, which applies the config again');
});

t.test('ExecStart starts it, ExecStartPost says ready once it serves', async (t) => {
  const d = directives(unit);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-unit-run-'));
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir, { mode: 0o700 });
  const map = (line: string) => line.replaceAll('/opt/mailserver', REPO_ROOT).replaceAll('/var/lib/mailserver', dataDir).split(' ');
  const [smtp, pop3, imap] = await freePorts(3);
  const config = path.join(dir, 'mailserver.config.ts');
  fs.writeFileSync(config, `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  smtp: { listen: ['127.0.0.1:${smtp}'] }, submission: { listen: [] }, pop3: { listen: ['127.0.0.1:${pop3}'] }, imap: { listen: ['127.0.0.1:${imap}'] },
  http: { listen: [] }, delivery: { dnsServers: ['127.0.0.1:9'] }, node: { workers: 2 },
});
`);
  const env = { ...process.env, NODE_OPTIONS: '', MAILSERVER_DATA: dataDir, MAILSERVER_LOG_FORMAT: 'json' };

  const early = await run(...(([c, ...a]) => [c, [...a.slice(0, a.indexOf('--wait-ready') + 1), '1', ...a.slice(a.indexOf('--wait-ready') + 2)]] as [string, string[]])(map(d.get('ExecStartPost')!)), env);
  t.equal(early.code, 1, 'ExecStartPost fails while nothing runs');
  t.match(early.stderr, /not ready after 1 s: no supervisor runs/);

  // the unit's ExecStart, with this test's config (the unit itself runs the data directory's commit)
  const [cmd, ...args] = map(d.get('ExecStart')!);
  const child = spawn(cmd, [...args, '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const [postCmd, ...postArgs] = map(d.get('ExecStartPost')!);
  const post = await run(postCmd, postArgs, env);
  t.equal(post.code, 0, post.stderr);
  t.match(post.stdout, /^ready: 2 worker\(s\) serving/);
  // ready means serving: SMTP greets at once
  const greeting = await new Promise<string>((resolve, reject) => {
    const s = net.connect(smtp, '127.0.0.1');
    s.once('data', (b) => {
      resolve(b.toString('utf8'));
      s.destroy();
    });
    s.once('error', reject);
  });
  t.match(greeting, /^220 /);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM'); // systemctl stop (KillMode=mixed: SIGTERM to the main process first)
  t.equal(await exited, 0, 'a clean stop');
});
