/**
 * Connections: per-IP limits per protocol (Postfix
 * smtpd_client_connection_count_limit; for IMAP/POP3 connections not yet logged in), logged-in
 * sessions per (user, IP) (Dovecot mail_max_userip_connections), non-zero global defaults, and
 * near the process's fd limit new connections get the protocol's "try later" reply while the
 * sessions already open go on — instead of EMFILE cutting every new client.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import t from 'tap';
import { startTestAppliance, seedAccounts, tempDir } from '../helpers/appliance.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { REPO_ROOT, applianceCommand, freePorts, seedStore } from '../helpers/process.ts';
import { validateConfig } from '../../core/config/load.ts';

function connect(port: number, local = '127.0.0.1'): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: local }, () => resolve(new RawClient(s)));
    s.once('error', reject);
  });
}

/** The first line the server sends, and whether it then closed the connection. */
async function first(port: number, local = '127.0.0.1'): Promise<{ line: string; client: RawClient }> {
  const client = await connect(port, local);
  return { line: (await client.line()).trim(), client };
}

async function closed(c: RawClient): Promise<boolean> {
  for (let i = 0; i < 100 && !c.closed; i++) await new Promise((r) => c.socket.once('close', r).setTimeout(50, () => r(undefined)));
  return c.closed;
}

t.test('the defaults', async (t) => {
  const d = validateConfig({});
  t.equal(d.smtp.maxSessions, 1000);
  t.equal(d.smtp.maxSessionsPerIp, 50);
  t.equal(d.imap.maxSessions, 1000);
  t.equal(d.pop3.maxSessions, 1000);
  t.equal(d.imap.maxSessionsPerIp, 20);
  t.equal(d.pop3.maxSessionsPerIp, 20);
  t.equal(d.imap.maxUserIpSessions, 10);
  t.equal(d.pop3.maxUserIpSessions, 10);
  t.equal(d.connections.fdReserve, 256);
});

t.test('per-IP limits: SMTP counts every connection, IMAP and POP3 those not logged in', async (t) => {
  const app = await startTestAppliance({
    smtp: { maxSessionsPerIp: 3 },
    imap: { maxSessionsPerIp: 2, maxUserIpSessions: 2, allowInsecureAuth: true },
    pop3: { maxSessionsPerIp: 2 },
  });
  const open: RawClient[] = [];
  // the clients go first: the appliance's close waits for open SMTP sessions
  t.teardown(async () => {
    open.forEach((c) => c.close());
    await app.close();
  });
  await seedAccounts(app, 'example.test', ['alice']);

  for (let i = 0; i < 3; i++) {
    const c = await first(app.smtpPort, '127.0.0.30');
    open.push(c.client);
    t.match(c.line, /^220 /, `smtp connection ${i + 1} from the IP`);
  }
  const over = await first(app.smtpPort, '127.0.0.30');
  t.match(over.line, /^421 4\.7\.0 .*too many connections from your IP/, 'the next one gets 421');
  t.ok(await closed(over.client), 'and is closed');
  const other = await first(app.smtpPort, '127.0.0.31');
  open.push(other.client);
  t.match(other.line, /^220 /, 'another IP is served');
  t.match(await open[0]!.command('NOOP'), /^250 /, 'the sessions already open go on');
  open.shift()!.write('QUIT\r\n');
  let again = '';
  for (let i = 0; i < 40 && !again.startsWith('220 '); i++) {
    const c = await first(app.smtpPort, '127.0.0.30');
    again = c.line;
    if (again.startsWith('220 ')) open.push(c.client);
    else await closed(c.client);
  }
  t.match(again, /^220 /, 'a closed session frees its place');

  const a = await first(app.imapPort, '127.0.0.32');
  const b = await first(app.imapPort, '127.0.0.32');
  open.push(a.client, b.client);
  t.match(a.line + b.line, /^\* OK .*\* OK /);
  t.match((await first(app.imapPort, '127.0.0.32')).line, /^\* BYE \[UNAVAILABLE\] Too many connections from your IP/, 'imap: a third unauthenticated one is refused');
  a.client.write('a LOGIN alice@example.test pw-alice\r\n');
  for (let l = await a.client.line(); !l.startsWith('a '); l = await a.client.line());
  const c = await first(app.imapPort, '127.0.0.32');
  open.push(c.client);
  t.match(c.line, /^\* OK /, 'a logged-in session no longer counts against the per-IP limit');

  const p1 = await first(app.pop3Port, '127.0.0.35');
  const p2 = await first(app.pop3Port, '127.0.0.35');
  open.push(p1.client, p2.client);
  t.match(p1.line + p2.line, /^\+OK .*\+OK /);
  t.match((await first(app.pop3Port, '127.0.0.35')).line, /^-ERR \[SYS\/TEMP\] Too many connections from your IP/, 'pop3: a third one is refused');
});

t.test('an SMTP session gives its per-IP place back at QUIT, before its socket is gone', async (t) => {
  const app = await startTestAppliance({ smtp: { maxSessionsPerIp: 2 } });
  const open: RawClient[] = [];
  t.teardown(async () => {
    open.forEach((c) => c.close());
    await app.close();
  });
  for (let i = 0; i < 2; i++) open.push((await first(app.smtpPort, '127.0.0.36')).client);
  // a client that reconnects right after 221 (smtp-source, a relay's next transaction) must
  // not find its old session still counted: here the old socket is kept half-open on purpose
  t.match(await open[0]!.command('QUIT'), /^221 /);
  const next = await first(app.smtpPort, '127.0.0.36');
  open.push(next.client);
  t.match(next.line, /^220 /, 'the next connection from the IP is served');
  const over = await first(app.smtpPort, '127.0.0.36');
  t.match(over.line, /^421 /, 'and the limit still holds for sessions that did not QUIT');
});

t.test('logged-in IMAP sessions per (user, IP)', async (t) => {
  const app = await startTestAppliance({ imap: { maxUserIpSessions: 2, allowInsecureAuth: true } });
  const open: RawClient[] = [];
  t.teardown(async () => {
    open.forEach((c) => c.close());
    await app.close();
  });
  await seedAccounts(app, 'example.test', ['alice']);
  const login = async (local: string) => {
    const c = await first(app.imapPort, local);
    open.push(c.client);
    c.client.write('a LOGIN alice@example.test pw-alice\r\n');
    for (;;) {
      const l = (await c.client.line()).trim();
      if (l.startsWith('a ')) return l;
    }
  };
  t.match(await login('127.0.0.33'), /^a OK /);
  t.match(await login('127.0.0.33'), /^a OK /);
  t.match(await login('127.0.0.33'), /^a NO \[LIMIT\] Too many sessions for this user from your IP/, 'the third from the IP is refused');
  t.match(await login('127.0.0.34'), /^a OK /, 'from another IP it is not');
});

t.test('near the fd limit new connections get 421, open sessions go on', async (t) => {
  const dir = tempDir('fd-reserve-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  await seedStore(dataDir, ['example.test'], { 'alice@example.test': 'pw-alice' });
  const [smtp, imap, pop3] = await freePorts(3);
  const configFile = path.join(dir, 'mailserver.config.ts');
  fs.writeFileSync(configFile, `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'fd.test',
  smtp: { listen: ['127.0.0.1:${smtp}'], maxSessionsPerIp: 0 },
  imap: { listen: ['127.0.0.1:${imap}'], maxSessionsPerIp: 0 },
  pop3: { listen: ['127.0.0.1:${pop3}'], maxSessionsPerIp: 0 },
  http: { listen: [] },
  delivery: { enabled: false },
  connections: { fdReserve: 256 },
  log: { level: 'info' },
});
`);
  // the appliance as an operator starts it, with a soft limit of 400 open files
  const child = spawn('bash', ['-c', 'ulimit -n 400 && exec "$0" "$@"', process.execPath, ...applianceCommand(configFile, dataDir)], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' },
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout!.resume();
  const exited = new Promise((r) => child.once('exit', r));
  t.teardown(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  for (let i = 0; i < 400 && !/"msg":"ready"/.test(err); i++) await new Promise((r) => setTimeout(r, 50));
  t.match(err, /"msg":"ready"/, 'started');

  const session = await first(smtp!, '127.0.0.1');
  t.match(session.line, /^220 /);
  t.match(await session.client.command('EHLO client.test'), /^250/);
  const idle: RawClient[] = [];
  t.teardown(() => idle.forEach((c) => c.close()));
  let refused = '';
  for (let i = 0; i < 400 && !refused; i++) {
    const c = await first(smtp!, `127.0.1.${1 + (i % 200)}`);
    if (c.line.startsWith('220 ')) idle.push(c.client);
    else refused = c.line;
  }
  t.ok(idle.length > 20 && idle.length < 400 - 256, `${idle.length} idle connections were served before the reserve`);
  t.match(refused, /^421 4\.7\.0 fd\.test Error: too many connections, try again later/, 'then 421, not a cut connection');
  t.match(await session.client.command('NOOP'), /^250 /, 'the open session goes on');
  t.match(await session.client.command('MAIL FROM:<x@remote.test>'), /^250 /);
  t.match(await session.client.command('RCPT TO:<alice@example.test>'), /^250 /);
  t.match((await first(smtp!, '127.0.0.2')).line, /^421 4\.7\.0 /, 'new SMTP connections keep getting 421');
  t.match((await first(imap!, '127.0.0.2')).line, /^\* BYE \[UNAVAILABLE\] Server busy/, 'IMAP: * BYE');
  t.match((await first(pop3!, '127.0.0.2')).line, /^-ERR \[SYS\/TEMP\] Server busy/, 'POP3: -ERR [SYS/TEMP]');
  t.notMatch(err, /EMFILE/, 'the process never ran out of file descriptors');
  // closing the idle connections frees the descriptors: new clients are served again
  idle.splice(0).forEach((c) => c.close());
  let back = '';
  for (let i = 0; i < 60 && !back.startsWith('220 '); i++) {
    const c = await first(smtp!, '127.0.0.3');
    back = c.line;
    c.client.close();
    if (!back.startsWith('220 ')) await new Promise((r) => setTimeout(r, 100));
  }
  t.match(back, /^220 /, 'served again once descriptors are free');
});
