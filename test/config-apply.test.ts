/**
 * Live apply against a running appliance with real sockets: an open
 * SMTP session keeps the config it started with while a new one gets the new config; changed
 * listener addresses are re-bound while unchanged ones keep serving; a config that does not
 * come up (a port taken, a plugin's bad options or failing set-up, a setting that needs a
 * restart) is refused with the setting named and the appliance goes on serving the previous
 * one; mail accepted while configs are applied is all stored.
 */
import net from 'node:net';
import t from 'tap';
import { startAppliance, type Appliance } from '../appliance/start.ts';
import { validateConfig } from '../core/config/load.ts';
import { silentLogger } from '../core/log.ts';
import type { AppConfig, UserConfig } from '../core/config/schema.ts';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import { inbox, seedAccounts, tempDir, type TestAppliance } from './helpers/appliance.ts';
import { RawClient } from './helpers/raw-client.ts';
import { python } from './helpers/python.ts';

const BASE: UserConfig = {
  hostname: 'mail.test',
  smtp: { listen: ['127.0.0.1:0', '127.0.0.1:0*'], maxRecipients: 2, banner: 'first generation' },
  pop3: { listen: ['127.0.0.1:0'] },
  imap: { listen: ['127.0.0.1:0'] },
  http: { listen: [] },
  delivery: { enabled: false },
  log: { level: 'silent' },
};

function configWith(patch: (c: UserConfig & { smtp: NonNullable<UserConfig['smtp']> }) => void): AppConfig {
  const c = structuredClone(BASE) as UserConfig & { smtp: NonNullable<UserConfig['smtp']> };
  patch(c);
  return validateConfig(c);
}

/** The appliance handle itself (not the test helper's copy), so that its getters follow the generation. */
async function start(t: { teardown(fn: () => unknown): void }): Promise<{ app: Appliance; helper: TestAppliance }> {
  const dataDir = tempDir();
  const app = await startAppliance({ config: validateConfig(BASE), dataDir, log: process.env.TEST_LOG ? undefined : silentLogger });
  const store = openEmbeddedStore(dataDir);
  t.teardown(async () => {
    await store.close();
    await app.close();
  });
  const helper = { store } as unknown as TestAppliance;
  await seedAccounts(helper, 'example.test', ['alice', 'bob', 'carol']);
  return { app, helper };
}

const plainPort = (app: Appliance) => app.smtp.listeners.find((l) => !l.implicitTls)!.port;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

async function greeting(port: number): Promise<string> {
  const c = await RawClient.connect(port);
  const g = await c.reply();
  c.write('QUIT\r\n');
  c.socket.end();
  return g;
}

t.test('an open SMTP session keeps its config; a new session gets the new one', async (t) => {
  const { app } = await start(t);
  const port = plainPort(app);
  const old = await RawClient.connect(port);
  t.match(await old.reply(), /^220 mail\.test ESMTP first generation/);
  t.match(await old.command('EHLO client.test'), /^250/);
  t.match(await old.command('MAIL FROM:<x@client.test>'), /^250/);

  const r = await app.apply(configWith((c) => {
    c.smtp.maxRecipients = 1;
    c.smtp.banner = 'second generation';
  }), { label: 'test' });
  t.ok(r.ok, JSON.stringify(r));
  if (!r.ok) return;
  t.equal(r.generation, 2);
  t.same(r.rebound, [], 'no listener address changed: nothing re-bound');
  t.same(r.summary.sort(), ['smtp.banner: "first generation" -> "second generation"', 'smtp.maxRecipients: 2 -> 1']);
  t.equal(app.config.smtp.maxRecipients, 1, 'app.config is the new generation');
  t.equal(plainPort(app), port, 'the unchanged listener kept its port');

  // the session opened before the apply still allows two recipients
  t.match(await old.command('RCPT TO:<alice@example.test>'), /^250/);
  t.match(await old.command('RCPT TO:<bob@example.test>'), /^250/, 'old session: second recipient accepted (old limit 2)');
  t.match(await old.command('DATA'), /^354/);
  t.match(await old.command('Subject: old session\r\n\r\nbody\r\n.'), /^250/);

  const fresh = await RawClient.connect(port);
  t.match(await fresh.reply(), /^220 mail\.test ESMTP second generation/, 'a new session gets the new banner');
  await fresh.command('EHLO client.test');
  await fresh.command('MAIL FROM:<x@client.test>');
  t.match(await fresh.command('RCPT TO:<alice@example.test>'), /^250/);
  t.match(await fresh.command('RCPT TO:<bob@example.test>'), /^452/, 'new session: second recipient refused (new limit 1)');
  fresh.write('QUIT\r\n');
  old.write('QUIT\r\n');
  t.match(await old.reply(), /^221/, 'the old session ended normally');
});

t.test('changed listener addresses are re-bound; an unchanged one serves without a gap', async (t) => {
  const { app } = await start(t);
  const port = plainPort(app);
  const oldTls = app.smtp.listeners.find((l) => l.implicitTls)!.port;
  const oldPop3 = app.pop3.listeners[0].port;
  const [newSmtp, newPop3] = [await freePort(), await freePort()];

  // connections to the unchanged listener all the time the apply runs: every one gets a greeting
  let stop = false;
  const greetings: string[] = [];
  const loop = (async () => {
    while (!stop) greetings.push(await greeting(port));
  })();
  await new Promise((r) => setTimeout(r, 100));
  const r = await app.apply(configWith((c) => {
    c.smtp.listen = ['127.0.0.1:0', `127.0.0.1:${newSmtp}`];
    c.pop3 = { listen: [`127.0.0.1:${newPop3}`] };
  }));
  await new Promise((r) => setTimeout(r, 100));
  stop = true;
  await loop;
  t.ok(r.ok, JSON.stringify(r));
  if (!r.ok) return;
  t.same(r.rebound, [`smtp.listen[1] 127.0.0.1:${newSmtp}`, `pop3.listen[0] 127.0.0.1:${newPop3}`]);
  t.match(r.summary, [`smtp listener 127.0.0.1:${newSmtp} added`, 'smtp listener 127.0.0.1:0* removed', `pop3 listener 127.0.0.1:${newPop3} added`, 'pop3 listener 127.0.0.1:0 removed']);
  t.ok(greetings.length >= 3, `${greetings.length} sessions during the apply`);
  t.ok(greetings.every((g) => /^220 /.test(g)), 'every connection to the unchanged listener was greeted');
  t.equal(plainPort(app), port);
  t.match(await greeting(newSmtp), /^220 mail\.test/, 'the new SMTP port serves');
  t.ok(await refused(oldTls), 'the removed SMTP port is closed');
  t.ok(await refused(oldPop3), 'the removed POP3 port is closed');
  const pop = await RawClient.connect(newPop3);
  t.match(await pop.line(), /^\+OK/, 'the new POP3 port serves');
  pop.socket.destroy();
  t.same(app.smtp.listeners.map((l) => l.port), [port, newSmtp]);
});

t.test('a port that cannot be bound: refused with the setting named, the previous generation serves on', async (t) => {
  const { app } = await start(t);
  const port = plainPort(app);
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => taken.close());
  const takenPort = (taken.address() as net.AddressInfo).port;
  const wouldBePop3 = await freePort();

  const r = await app.apply(configWith((c) => {
    c.smtp.banner = 'never served';
    c.pop3 = { listen: [`127.0.0.1:${wouldBePop3}`] };
    c.imap = { listen: ['127.0.0.1:0', `127.0.0.1:${takenPort}`] };
  }));
  t.notOk(r.ok);
  if (r.ok) return;
  t.equal(r.error, `imap: imap.listen[1] 127.0.0.1:${takenPort}: EADDRINUSE`);
  t.match(await greeting(port), /^220 mail\.test ESMTP first generation/, 'still the previous generation');
  t.equal(app.config.smtp.banner, 'first generation');
  t.ok(await refused(wouldBePop3), 'the POP3 port the failed generation had bound is closed again');
  t.notOk(await refused(app.smtp.listeners[1].port), 'the previous TLS listener still takes connections');
  t.notOk(await refused(app.pop3.listeners[0].port), 'the previous POP3 listener still takes connections');
  // the same appliance still applies a good config afterwards
  const ok = await app.apply(configWith((c) => void (c.smtp.banner = 'third try')));
  t.ok(ok.ok);
  t.match(await greeting(port), /third try/);
});

t.test('plugins that do not come up: bad options, a failing set-up', async (t) => {
  const { app } = await start(t);
  const port = plainPort(app);
  const bad = await app.apply(configWith((c) => (c.plugins = [{ name: 'accept-log' }, { name: 'relay-effect', options: { localSenderRelay: 'yes' } }])));
  t.notOk(bad.ok);
  if (bad.ok) return;
  t.match(bad.problems, [{ path: 'plugins[1].options.localSenderRelay', message: /boolean/ }]);
  t.match(bad.error, /plugins\[1\]\.options\.localSenderRelay/);

  const unknown = await app.apply(configWith((c) => (c.plugins = [{ name: 'no-such-plugin' }])));
  t.notOk(unknown.ok);
  if (!unknown.ok) t.match(unknown.problems, [{ path: 'plugins[0].name', message: /unknown plugin "no-such-plugin"/ }]);

  const failing = await app.apply(configWith((c) => (c.plugins = [{ name: 'relay-effect', options: { file: '/nonexistent/effect.dat' } }])));
  t.notOk(failing.ok);
  if (!failing.ok) t.match(failing.error, /^plugins: relay-effect: .*nonexistent\/effect\.dat/);
  t.match(await greeting(port), /first generation/, 'still serving the previous generation');
  t.same(app.config.plugins, []);
});

t.test('settings that need a restart, and an invalid object', async (t) => {
  const { app } = await start(t);
  const r = await app.apply(configWith((c) => (c.store = { kind: 'postgres', url: 'postgres://u@127.0.0.1/db' })));
  t.notOk(r.ok);
  if (!r.ok) {
    t.match(r.error, /store.*needs a restart/);
    t.same(r.problems, [{ path: 'store', message: 'cannot change while running; needs a restart' }]);
  }
  const bad = { ...app.config, smtp: { ...app.config.smtp, maxRecipients: -1 } } as AppConfig;
  const invalid = await app.apply(bad);
  t.notOk(invalid.ok);
  if (!invalid.ok) t.match(invalid.problems, [{ path: 'smtp.maxRecipients' }]);
  t.equal(app.config.smtp.maxRecipients, 2);
});

t.test('mail accepted while configs are applied is all stored', async (t) => {
  const { app, helper } = await start(t);
  const port = plainPort(app);
  const N = 60;
  const client = python(`
import smtplib, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
ok = 0
for i in range(n):
    s = smtplib.SMTP('127.0.0.1', port, timeout=10)
    s.ehlo('client.test')
    s.sendmail('x@client.test', ['carol@example.test'], 'Subject: during apply %d\\r\\n\\r\\nbody %d\\r\\n' % (i, i))
    ok += 1
    s.quit()
    time.sleep(0.01)
print(ok)
`, [String(port), String(N)], { timeoutMs: 50_000 });
  let applied = 0;
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 60));
    const r = await app.apply(configWith((c) => void (c.smtp.banner = `generation ${i + 2}`)));
    if (r.ok) applied++;
  }
  const out = await client;
  t.equal(out.code, 0, out.stderr);
  t.equal(Number(out.stdout.trim()), N, 'the client got 250 for every message');
  t.equal(applied, 6, 'six configs applied meanwhile');
  const stored = (await inbox(helper, 'carol@example.test')).filter((m) => m.content.includes('during apply'));
  t.equal(stored.length, N, 'every accepted message is in the mailbox');
  t.equal(new Set(stored.map((m) => /Subject: during apply (\d+)/.exec(m.content)?.[1])).size, N);
});
