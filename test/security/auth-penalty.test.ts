/**
 * Lock-outs: one login guard for SMTP, IMAP, POP3 and the HTTP config
 * endpoint. Failures delay the next try of the same (IP, login) with a growing penalty
 * (Dovecot auth_penalty) and never refuse the right password; failures from other IPs or for
 * other logins delay nobody; concurrent password hashing is capped, the excess gets a
 * temporary failure at once, and other sessions stay responsive.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import http from 'node:http';
import t from 'tap';
import { startTestAppliance, seedAccounts, tempDir, type TestAppliance } from '../helpers/appliance.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { REPO_ROOT, freePorts, seedStore, spawnAppliance } from '../helpers/process.ts';
import type { UserConfig } from '../../core/config/schema.ts';

function connect(port: number, local = '127.0.0.1'): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: local }, () => resolve(new RawClient(s)));
    s.once('error', reject);
  });
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** One SMTP session with one AUTH PLAIN; the reply code and the time the AUTH took. */
async function smtpLogin(app: TestAppliance, user: string, pw: string, local: string): Promise<{ code: number; ms: number }> {
  const c = await connect(app.smtpPort, local);
  try {
    await c.reply();
    await c.command('EHLO client.test');
    const started = Date.now();
    const r = await c.command(`AUTH PLAIN ${b64(`\0${user}\0${pw}`)}`, );
    return { code: Number(r.slice(0, 3)), ms: Date.now() - started };
  } finally {
    c.close();
  }
}

async function tagged(c: RawClient, tag: string, timeoutMs = 20_000): Promise<string> {
  for (;;) {
    const line = await c.line(timeoutMs);
    if (line.startsWith(`${tag} `)) return line.trim();
  }
}

async function imapLogin(app: TestAppliance, user: string, pw: string, local: string): Promise<{ reply: string; ms: number; client: RawClient }> {
  const c = await connect(app.imapPort, local);
  await c.line();
  const started = Date.now();
  c.write(`a LOGIN "${user}" "${pw}"\r\n`);
  const reply = await tagged(c, 'a');
  return { reply, ms: Date.now() - started, client: c };
}

async function start(overrides: UserConfig): Promise<TestAppliance> {
  const app = await startTestAppliance({
    ...overrides,
    smtp: { auth: { allowInsecure: true, failureDelayMs: 0 } },
    imap: { allowInsecureAuth: true },
    pop3: { allowInsecureAuth: true },
  });
  await seedAccounts(app, 'example.test', ['alice', 'bob', 'carol']);
  return app;
}

t.test('eleven good logins from an IP whose other logins failed all succeed', async (t) => {
  const app = await start({ auth: { penalty: { initialDelayMs: 20, maxDelayMs: 50 } } });
  t.teardown(() => app.close());
  for (let i = 0; i < 12; i++) t.equal((await smtpLogin(app, 'bob@example.test', `guess-${i}`, '127.0.0.5')).code, 535, `bob guess ${i}`);
  const codes = [];
  for (let i = 0; i < 11; i++) codes.push((await smtpLogin(app, 'alice@example.test', 'pw-alice', '127.0.0.5')).code);
  t.same(codes, Array(11).fill(235), 'an office behind one NAT address keeps logging in');
});

t.test('wrong passwords delay that IP and login only, and the right password gets in', async (t) => {
  const app = await start({ auth: { penalty: { initialDelayMs: 500, maxDelayMs: 2000 } } });
  t.teardown(() => app.close());
  for (let i = 0; i < 5; i++) t.equal((await smtpLogin(app, 'alice@example.test', `guess-${i}`, '127.0.0.8')).code, 535);
  const other = await smtpLogin(app, 'alice@example.test', 'pw-alice', '127.0.0.9');
  t.equal(other.code, 235, 'five failures from another client do not lock the account');
  t.ok(other.ms < 450, `and do not delay it (${other.ms} ms)`);
  const same = await smtpLogin(app, 'alice@example.test', 'pw-alice', '127.0.0.8');
  t.equal(same.code, 235, 'the guessing client itself gets in with the right password');
  t.ok(same.ms >= 2000, `after its penalty (${same.ms} ms)`);
  const again = await smtpLogin(app, 'alice@example.test', 'pw-alice', '127.0.0.8');
  t.ok(again.code === 235 && again.ms < 450, `a success clears the penalty (${again.ms} ms)`);

  // the penalty is one for every service: SMTP failures delay the next IMAP login of the pair
  for (let i = 0; i < 2; i++) t.equal((await smtpLogin(app, 'carol@example.test', `guess-${i}`, '127.0.0.10')).code, 535);
  const imap = await imapLogin(app, 'carol@example.test', 'pw-carol', '127.0.0.10');
  imap.client.close();
  t.match(imap.reply, /^a OK /, 'IMAP login succeeds');
  t.ok(imap.ms >= 1000, `after the penalty SMTP's failures earned (${imap.ms} ms)`);
  const pop = await connect(app.pop3Port, '127.0.0.10');
  t.teardown(() => pop.close());
  await pop.line();
  pop.write('USER bob@example.test\r\n');
  t.match(await pop.line(), /^\+OK/);
  pop.write('PASS wrong\r\n');
  t.match(await pop.line(10_000), /^-ERR \[AUTH\]/);
  const imapBob = await imapLogin(app, 'bob@example.test', 'pw-bob', '127.0.0.10');
  imapBob.client.close();
  t.match(imapBob.reply, /^a OK /);
  t.ok(imapBob.ms >= 500, `a POP3 failure delays the IMAP login too (${imapBob.ms} ms)`);
});

function get(url: string, user: string, pw: string, local: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { localAddress: local, headers: { authorization: `Basic ${b64(`${user}:${pw}`)}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

t.test('the HTTP config endpoint answers the admin after others\' failures', async (t) => {
  const dir = tempDir('auth-penalty-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const ADMIN = 'Administrator@push.test';
  await seedStore(dataDir, ['push.test'], { [ADMIN]: 'admin-secret', 'a@push.test': 'pw-a' });
  const configFile = path.join(dir, 'mailserver.config.ts');
  const [httpPort] = await freePorts(1);
  fs.writeFileSync(configFile, `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig({
  hostname: 'push.test',
  smtp: { listen: ['127.0.0.1:0'] }, pop3: { listen: ['127.0.0.1:0'] }, imap: { listen: ['127.0.0.1:0'] },
  http: { listen: ['127.0.0.1:${httpPort}'] },
  delivery: { enabled: false },
  auth: { penalty: { initialDelayMs: 20, maxDelayMs: 100 } },
  log: { level: 'info' },
});
`);
  const app = spawnAppliance(configFile, dataDir);
  t.teardown(() => app.stop());
  await app.waitForLog('ready');
  const url = `http://127.0.0.1:${httpPort}/config.git/info/refs?service=git-upload-pack`;
  const guesses: number[] = [];
  for (let i = 0; i < 8; i++) guesses.push(await get(url, ADMIN, `guess-${i}`, '127.0.0.2'));
  for (let i = 0; i < 8; i++) guesses.push(await get(url, 'a@push.test', `guess-${i}`, '127.0.0.1'));
  t.same(guesses, Array(16).fill(401), 'wrong guesses get 401, never 429');
  const started = Date.now();
  t.equal(await get(url, ADMIN, 'admin-secret', '127.0.0.1'), 200, 'the admin gets in');
  t.ok(Date.now() - started < 1000, `without waiting for others' penalties (${Date.now() - started} ms)`);
  t.equal(await get(url, ADMIN, 'admin-secret', '127.0.0.2'), 200, 'and from the guessed-from address, after its penalty');
});

t.test('password hashing is capped: a flood of guesses gets temporary failures, other sessions stay responsive', async (t) => {
  const app = await start({ auth: { hashConcurrency: 1, hashQueue: 2 } });
  t.teardown(() => app.close());
  const probe = await imapLogin(app, 'alice@example.test', 'pw-alice', '127.0.0.1');
  t.teardown(() => probe.client.close());
  t.match(probe.reply, /^a OK /);
  let worst = 0;
  let probing = true;
  const probeLoop = (async () => {
    for (let i = 0; probing; i++) {
      const sent = Date.now();
      probe.client.write(`p${i} NOOP\r\n`);
      await tagged(probe.client, `p${i}`, 5000);
      worst = Math.max(worst, Date.now() - sent);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const cpu = process.cpuUsage();
  const wall = Date.now();
  const flood = await Promise.all(Array.from({ length: 40 }, async (_, i) => {
    // ten from each of four addresses: under the per-IP connection limit (imap.maxSessionsPerIp 20)
    const c = await connect(app.imapPort, `127.0.0.${20 + (i % 4)}`);
    await c.line();
    c.write(`g LOGIN ghost${i}@example.test wrong-${i}\r\n`);
    const reply = await tagged(c, 'g');
    c.close();
    return reply;
  }));
  const used = process.cpuUsage(cpu);
  const cores = (used.user + used.system) / 1000 / (Date.now() - wall);
  probing = false;
  await probeLoop;
  const busy = flood.filter((r) => /NO \[UNAVAILABLE\]/.test(r)).length;
  const failed = flood.filter((r) => /NO \[AUTHENTICATIONFAILED\]/.test(r)).length;
  t.equal(busy + failed, 40, 'every guess answered');
  t.ok(busy >= 20, `the excess got a temporary failure at once (${busy} busy, ${failed} checked)`);
  t.ok(worst < 500, `a NOOP on another session stays responsive (worst ${worst} ms)`);
  t.ok(cores < 1.6, `the appliance used ${cores.toFixed(2)} cores during the flood`);
});
