/** Session-level settings: hidden IPs (RX-9), session limit (RX-5), VRFY/EXPN off (RX-2). */
import t from 'tap';
import net from 'node:net';
import { startTestAppliance, seedAccounts } from './helpers/appliance.ts';
import { RawClient } from './helpers/raw-client.ts';

async function connectTo(host: string, port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host, () => resolve(new RawClient(s)));
    s.once('error', reject);
  });
}

t.test('hidden IPs refuse sessions; other local addresses answer', async (t) => {
  const app = await startTestAppliance({ smtp: { listen: ['0.0.0.0:0'], hiddenIps: ['127.0.0.2'] } });
  t.teardown(() => app.close());
  const port = app.smtp.listeners[0].port;
  const hidden = await connectTo('127.0.0.2', port);
  t.match(await hidden.reply(), /^554 5\.3\.2 /);
  hidden.close();
  const open = await connectTo('127.0.0.1', port);
  t.match(await open.reply(), /^220 mail\.test ESMTP/);
  open.close();
});

t.test('the session limit answers 421 to the session over it', async (t) => {
  const app = await startTestAppliance({ smtp: { maxSessions: 2 } });
  t.teardown(() => app.close());
  const a = await RawClient.connect(app.smtpPort);
  const b = await RawClient.connect(app.smtpPort);
  t.match(await a.reply(), /^220/);
  t.match(await b.reply(), /^220/);
  const c = await RawClient.connect(app.smtpPort);
  t.match(await c.reply(), /^421 /);
  a.close();
  b.close();
  c.close();
});

t.test('VRFY and EXPN can be turned off (RX-2)', async (t) => {
  const app = await startTestAppliance({ smtp: { vrfy: false } });
  t.teardown(() => app.close());
  await seedAccounts(app, 'example.test', ['alice']);
  const c = await RawClient.connect(app.smtpPort);
  await c.reply();
  await c.command('EHLO c.test');
  t.match(await c.command('VRFY alice@example.test'), /^502 5\.5\.1 VRFY command is disabled/);
  t.match(await c.command('EXPN staff'), /^502 5\.5\.1 EXPN command is disabled/);
  c.close();
});

t.test('with a greeting pause, a client that talks first is refused as an early talker', async (t) => {
  const app = await startTestAppliance({ smtp: { greetingDelayMs: 300 } });
  t.teardown(() => app.close());
  const early = await RawClient.connect(app.smtpPort);
  early.write('EHLO eager.test\r\n');
  t.match(await early.drain(600), /^421 [^\r]*talk too soon\r\n$/, 'refused, and never greeted');
  early.close();
  const polite = await RawClient.connect(app.smtpPort);
  t.match(await polite.reply(), /^220 /);
  t.match(await polite.command('EHLO polite.test'), /^250/);
  polite.close();
});

t.test('IPv6 listeners: [::1]:port answers over IPv6 (RX-1)', async (t) => {
  const app = await startTestAppliance({ smtp: { listen: ['[::1]:0'] } });
  t.teardown(() => app.close());
  const port = app.smtp.listeners[0].port;
  const c = await connectTo('::1', port);
  t.match(await c.reply(), /^220 mail\.test ESMTP/);
  t.match(await c.command('EHLO v6.test'), /^250/);
  c.close();
});
