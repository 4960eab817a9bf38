/**
 * RX-8 DNSBL against a real DNS server (dnsmasq on loopback) serving a test zone: listed
 * clients are refused at MAIL FROM, exempt addresses are never checked, answers are cached,
 * and a zone that never answers does not stall the session.
 */
import t from 'tap';
import dgram from 'node:dgram';
import { startTestAppliance, seedAccounts, type TestAppliance } from './helpers/appliance.ts';
import { smtpSteps } from './helpers/smtp-script.ts';
import { startDns } from './helpers/dns.ts';
import { queryName } from '../plugins/dnsbl/lookup.ts';

async function start(options: Record<string, unknown>): Promise<TestAppliance> {
  const app = await startTestAppliance({ delivery: { enabled: false }, plugins: [{ name: 'dnsbl', options }] });
  await seedAccounts(app, 'example.test', ['alice']);
  return app;
}

const mail = (app: TestAppliance, source: string) =>
  smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<x@client.test>'], ['cmd', 'RCPT TO:<alice@example.test>']], source);

t.test('query names (RFC 5782 §2.1, §2.4)', async (t) => {
  t.equal(queryName('192.0.2.99', 'bl.test'), '99.2.0.192.bl.test');
  t.equal(queryName('::ffff:127.0.0.2', 'bl.test'), '2.0.0.127.bl.test');
  t.equal(queryName('2001:db8:1:2:3:4:567:89ab', 'bl.test'), 'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.test');
});

t.test('listed clients are refused; others, exempt ones and cached answers', async (t) => {
  const dns = await startDns({ hosts: [['2.0.0.127.bl.test', '127.0.0.2'], ['4.0.0.127.other.test', '127.0.0.10']] });
  t.teardown(() => dns.close());
  const app = await start({ zones: ['bl.test', 'other.test'], servers: [dns.server], exempt: ['127.0.0.4/32'], timeoutMs: 1500 });
  t.teardown(() => app.close());
  const listed = await mail(app, '127.0.0.2');
  t.match(listed[0], [554, /^5\.7\.1 Service unavailable; client host \[127\.0\.0\.2\] blocked using bl\.test/]);
  t.same((await mail(app, '127.0.0.3')).map(([c]) => c), [250, 250], 'not listed');
  t.same((await mail(app, '127.0.0.4')).map(([c]) => c), [250, 250], 'listed in other.test, but exempt');
  const app2 = await start({ zones: ['bl.test', 'other.test'], servers: [dns.server], timeoutMs: 1500 });
  t.teardown(() => app2.close());
  t.match((await mail(app2, '127.0.0.4'))[0], [554, /blocked using other\.test/], 'the second zone is asked too');
  await dns.close();
  t.match((await mail(app, '127.0.0.2'))[0], [554, /blocked using bl\.test/], 'the cached answer holds without the server');
});

t.test('a zone that never answers does not stall the session', async (t) => {
  const silent = dgram.createSocket('udp4'); // receives queries, answers none
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => silent.close());
  const app = await start({ zones: ['bl.test'], servers: [`127.0.0.1:${silent.address().port}`], timeoutMs: 300 });
  t.teardown(() => app.close());
  const started = Date.now();
  t.same((await mail(app, '127.0.0.2')).map(([c]) => c), [250, 250], 'accepted when the zone times out');
  t.ok(Date.now() - started < 5000, `session took ${Date.now() - started} ms`);
});
