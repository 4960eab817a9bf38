/**
 * A replaced config generation (appliance/runtime): it is closed once its last session ended,
 * or after the grace period, when the sessions left are told 421; the POP3 maildrop lock
 * (RFC 1939 §8) holds across generations.
 */
import path from 'node:path';
import t from 'tap';
import { ConfigRuntime } from '../appliance/runtime/runtime.ts';
import { DirectoryCache } from '../appliance/recipients/directory-cache.ts';
import { AuthGuard } from '../appliance/auth/guard.ts';
import { ConnectionGate } from '../appliance/net/connection-gate.ts';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import { validateConfig } from '../core/config/load.ts';
import { silentLogger } from '../core/log.ts';
import type { UserConfig } from '../core/config/schema.ts';
import { seedAccounts, tempDir, type TestAppliance } from './helpers/appliance.ts';
import { RawClient } from './helpers/raw-client.ts';
import { sleep } from './helpers/process.ts';

const config = (banner: string, extra: UserConfig = {}) => validateConfig({
  hostname: 'mail.test',
  smtp: { listen: ['127.0.0.1:0'], banner },
  pop3: { listen: ['127.0.0.1:0'], allowInsecureAuth: true },
  imap: { listen: ['127.0.0.1:0'] },
  http: { listen: [] },
  delivery: { enabled: false },
  log: { level: 'silent' },
  ...extra,
});

async function until(what: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) return false;
    await sleep(25);
  }
  return true;
}

t.test('a replaced generation closes after its last session, or after the grace period', async (t) => {
  const dataDir = tempDir();
  const stores = openEmbeddedStore(dataDir);
  const rt = await ConfigRuntime.start(config('one'), dataDir, { stores, directory: new DirectoryCache(stores), log: silentLogger, dataDir, auth: new AuthGuard(), gate: new ConnectionGate(() => ({ fdReserve: 256 })), spoolDir: path.join(dataDir, 'spool'), lead: true, supervised: false }, { drainGraceMs: 1500 });
  t.teardown(async () => {
    await rt.close();
    await stores.close();
  });
  await seedAccounts({ store: stores } as unknown as TestAppliance, 'example.test', ['alice']);
  const port = rt.generation.smtp.listeners[0].port;
  const pop3Port = rt.generation.pop3.listeners[0].port;

  const a = await RawClient.connect(port);
  t.match(await a.reply(), /ESMTP one/);
  const pop = await RawClient.connect(pop3Port);
  t.match(await pop.line(), /^\+OK/);
  t.teardown(() => {
    a.socket.destroy();
    pop.socket.destroy();
  });
  pop.write('USER alice@example.test\r\n');
  t.match(await pop.line(), /^\+OK/);
  pop.write('PASS pw-alice\r\n');
  t.match(await pop.line(), /^\+OK/, 'POP3 session of generation 1 holds the maildrop');

  t.ok((await rt.apply(config('two'))).ok);
  t.same(rt.drainingGenerations(), [1], 'generation 1 drains while its sessions are open');
  const pop2 = await RawClient.connect(pop3Port);
  t.match(await pop2.line(), /^\+OK/);
  pop2.write('USER alice@example.test\r\n');
  await pop2.line();
  pop2.write('PASS pw-alice\r\n');
  t.match(await pop2.line(), /^-ERR/, 'a generation-2 session cannot take the maildrop generation 1 holds');
  pop2.socket.destroy();
  t.match(await a.command('NOOP'), /^250/);
  t.match(await a.command('QUIT'), /^221/);
  pop.write('QUIT\r\n');
  t.match(await pop.line(), /^\+OK/);
  t.ok(await until(() => rt.drainingGenerations().length === 0, 1000), 'generation 1 closed once its last session ended');

  const b = await RawClient.connect(port);
  t.teardown(() => b.socket.destroy());
  t.match(await b.reply(), /ESMTP two/);
  t.ok((await rt.apply(config('three'))).ok);
  t.same(rt.drainingGenerations(), [2]);
  const started = Date.now();
  t.match(await b.reply(4000), /^421 /, 'the session left after the grace period is told 421');
  t.ok(Date.now() - started >= 1000, 'not before the grace period');
  t.ok(await until(() => rt.drainingGenerations().length === 0, 1000), 'generation 2 closed after the grace period');
  const c = await RawClient.connect(port);
  t.match(await c.reply(), /ESMTP three/);
  c.socket.destroy();
});
