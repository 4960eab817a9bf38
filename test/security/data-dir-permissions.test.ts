/**
 * The data directory is the appliance's alone. An appliance started as an operator
 * does (`mailserver start`, config repository on) and given a message makes nothing under its data
 * directory that group or others may read, and user `nobody` cannot read the database or a message
 * file even though every directory above the data directory is open. An install made before
 * (0755 directories, 0644 files, no marker) is tightened at the next start, with one log line; the
 * start after that does not walk again.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { freePorts, spawnAppliance, writeConfig } from '../helpers/process.ts';
import { tempDir } from '../helpers/appliance.ts';
import { runCli } from '../helpers/cli.ts';
import { RawClient } from '../helpers/raw-client.ts';

/** Every file and directory under `root` (symlinks excluded) whose mode has group/other bits. */
function openEntries(root: string): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    if (st.mode & 0o077) out.push(`${path.relative(root, p) || '.'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
  };
  visit(root);
  return out;
}

/** Every regular file under `root`, relative. */
function files(root: string): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
    else if (st.isFile()) out.push(path.relative(root, p));
  };
  visit(root);
  return out;
}

/** Opens everything under `root` to group and others, as an install made with umask 022 has it. */
function openUp(root: string): void {
  const visit = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    fs.chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
  };
  visit(root);
}

const nobodyCanRead = (file: string) => spawnSync('runuser', ['-u', 'nobody', '--', 'cat', file], { stdio: 'ignore' }).status === 0;

async function deliver(port: number, to: string, body: string): Promise<void> {
  const c = await RawClient.smtp(port);
  await c.command('MAIL FROM:<someone@outside.test>');
  const rcpt = await c.command(`RCPT TO:<${to}>`);
  if (!rcpt.startsWith('250')) throw new Error(`RCPT refused: ${rcpt}`);
  await c.command('DATA');
  const reply = await c.command(`Subject: secret\r\n\r\n${body}\r\n.`);
  if (!reply.startsWith('250')) throw new Error(`DATA refused: ${reply}`);
  await c.command('QUIT');
  c.close();
}

t.test('the data directory, its database, message files, logs, TLS key and config repository are 0700/0600', async (t) => {
  const dir = tempDir('data-perms-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  // every directory above the data directory is open: only the data directory's own modes protect it
  fs.chmodSync(dir, 0o755);
  const dataDir = path.join(dir, 'data');
  const [smtpPort, pop3Port] = await freePorts(2);
  const configFile = writeConfig(dir, { smtpPort: smtpPort!, pop3Port: pop3Port!, hostname: 'perm.test', plugins: [{ name: 'accept-log' }] });

  let app = spawnAppliance(configFile, dataDir);
  t.teardown(() => app.stop());
  await app.waitForLog('ready');
  for (const args of [['domain', 'add', 'perm.test'], ['account', 'add', 'alice@perm.test', '--password', 'alice-pw', '--auth-apop']]) {
    const r = await runCli([...args, '--data', dataDir]);
    t.equal(r.code, 0, r.stderr);
  }
  await deliver(smtpPort!, 'alice@perm.test', 'small and private');
  await deliver(smtpPort!, 'alice@perm.test', 'x'.repeat(76) + '\r\n'.repeat(1) + ('y'.repeat(998) + '\r\n').repeat(400));
  await app.stop();

  const all = files(dataDir);
  for (const expected of [/^mailserver\.db$/, /^blobs\/..\/[0-9a-f]+$/, /^config\.git\/objects\//, /^tls\/self-signed-key\.pem$/, /^logs\/.*accept\.log$/, /^checkouts\/[0-9a-f]+\/mailserver\.config\.ts$/]) {
    t.ok(all.some((f) => expected.test(f)), `the data directory has ${expected}`);
  }
  t.same(openEntries(dataDir), [], 'no file or directory under the data directory is open to group or others');
  t.equal((fs.statSync(dataDir).mode & 0o777).toString(8), '700');
  const blob = all.find((f) => f.startsWith('blobs/'))!;
  t.notOk(nobodyCanRead(path.join(dataDir, 'mailserver.db')), 'user nobody cannot read the database');
  t.notOk(nobodyCanRead(path.join(dataDir, blob)), 'user nobody cannot read a message file');
  t.notOk(nobodyCanRead(path.join(dataDir, 'tls', 'self-signed-key.pem')), 'user nobody cannot read the TLS key');

  await t.test('an existing world-readable install is tightened once at start, with a log line', async (t) => {
    fs.rmSync(path.join(dataDir, '.permissions-tightened'), { force: true });
    openUp(dataDir);
    t.ok(nobodyCanRead(path.join(dataDir, 'mailserver.db')), 'precondition: nobody can read the opened-up database');
    app = spawnAppliance(configFile, dataDir);
    await app.waitForLog('ready');
    const line = app.logs().find((l) => /permissions tightened/.test(l.msg ?? ''));
    t.ok(line, 'one log line says the permissions were tightened');
    t.match(line?.msg, dataDir, 'it names the data directory');
    t.ok(Number(line?.files) >= 5 && Number(line?.dirs) >= 5, `it counts what was changed (${line?.dirs} directories, ${line?.files} files)`);
    await app.stop();
    t.same(openEntries(dataDir), [], 'nothing is open to group or others any more');
    t.notOk(nobodyCanRead(path.join(dataDir, 'mailserver.db')), 'user nobody cannot read the database');
    t.notOk(nobodyCanRead(path.join(dataDir, blob)), 'nor the message file');

    // the marker keeps the next start from walking again: a file opened now stays as it is
    fs.chmodSync(path.join(dataDir, blob), 0o644);
    app = spawnAppliance(configFile, dataDir);
    await app.waitForLog('ready');
    t.notOk(app.logs().some((l) => /permissions tightened/.test(l.msg ?? '')), 'the next start logs no tightening');
    await app.stop();
    t.equal((fs.statSync(path.join(dataDir, blob)).mode & 0o777).toString(8), '644', 'and did not walk the tree');
  });
});
