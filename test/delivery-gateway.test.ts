/**
 * TX-4 … TX-6 over real SMTP: the per-domain gateway table (config rows and a seed-format
 * file, first match, `465*` implicit TLS), the global gateway with ESMTP AUTH, a failed login
 * deferred (not bounced), and TX-5 "forward all received mail to the gateway".
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { startTestAppliance, seedAccounts, inbox, tempDir, type TestAppliance } from './helpers/appliance.ts';
import { commonPort, startPeer, submit, waitFor, type Peer } from './helpers/sink.ts';

const CREDS = { user: 'relay-user', pass: 'relay-secret' };
let port: number;
let table: Peer;
let secure: Peer;
let gateway: Peer;
let app: TestAppliance;

t.before(async () => {
  port = await commonPort(['127.0.0.21', '127.0.0.22', '127.0.0.23']);
  table = await startPeer('127.0.0.21', port, { auth: CREDS });
  secure = await startPeer('127.0.0.22', port, { auth: CREDS, secure: true });
  gateway = await startPeer('127.0.0.23', port, { auth: CREDS });
  const dir = tempDir();
  const file = path.join(dir, 'gateway.dat');
  fs.writeFileSync(file, `' seed format: domain,host,port (* = SSL)\nsecure.test,127.0.0.22,${port}*\n*.corp.test,127.0.0.99,25\n`);
  app = await startTestAppliance({
    smtp: { auth: { allowInsecure: true } },
    delivery: {
      pollMs: 100, retry: { intervalSeconds: 1, refusals: 1 }, timeouts: { connectMs: 1000, greetingMs: 2000, socketMs: 2000 },
      gatewayTable: [{ domain: '*.corp.test', host: '127.0.0.21', port, tls: false }],
      gatewayTableFile: file,
      gateway: `127.0.0.23:${port}`,
      auth: { method: 'LOGIN', ...CREDS },
    },
  });
  await seedAccounts(app, 'local.test', ['alice']);
});
t.teardown(async () => {
  await app?.close();
  await Promise.all([table?.close(), secure?.close(), gateway?.close()]);
});

const alice = { user: 'alice@local.test', pw: 'pw-alice', from: 'alice@local.test' };
const arrived = (peer: Peer, subject: string) => waitFor(`${subject} at the peer`, () => peer.messages.find((m) => m.content.includes(`Subject: ${subject}`)));

t.test('the table: config rows first, then the file; first match wins', async (t) => {
  await submit(app.smtpPort, { ...alice, to: ['a@x.corp.test'], subject: 'table row' });
  const m = await arrived(table, 'table row');
  t.equal(m.user, 'relay-user', 'TX-6: authenticated to the gateway');
  t.notOk(gateway.messages.some((x) => x.content.includes('table row')));
});

t.test('465* in the table is implicit TLS', async (t) => {
  await submit(app.smtpPort, { ...alice, to: ['b@secure.test'], subject: 'over tls' });
  const m = await arrived(secure, 'over tls');
  t.ok(m.secure, 'the session was TLS from the start');
});

t.test('everything else goes through the global gateway, with AUTH', async (t) => {
  await submit(app.smtpPort, { ...alice, to: ['c@anywhere.example', 'd@else.example'], subject: 'via gateway' });
  const m = await waitFor('both', () => gateway.messages.filter((x) => x.content.includes('Subject: via gateway')).flatMap((x) => x.to).length === 2);
  t.ok(m);
  t.ok(gateway.messages.filter((x) => x.content.includes('Subject: via gateway')).every((x) => x.user === 'relay-user'));
});

t.test('TX-5 forwardAllToGateway: local mail leaves too; a wrong gateway password defers, then bounces', async (t) => {
  const other = await startTestAppliance({
    smtp: { auth: { allowInsecure: true } },
    delivery: {
      pollMs: 100, retry: { intervalSeconds: 1, refusals: 1 }, forwardAllToGateway: true,
      gateway: `127.0.0.23:${port}`, auth: { method: 'PLAIN', ...CREDS },
    },
  });
  t.teardown(() => other.close());
  await seedAccounts(other, 'local.test', ['alice', 'bob']);
  await submit(other.smtpPort, { from: 'someone@outside.example', to: ['bob@local.test'], subject: 'for bob, not kept' });
  const m = await arrived(gateway, 'for bob, not kept');
  t.same(m.to, ['bob@local.test']);
  t.equal((await inbox(other, 'bob@local.test')).length, 0, 'no local copy');

  const wrong = await startTestAppliance({
    smtp: { auth: { allowInsecure: true } },
    delivery: { pollMs: 100, retry: { intervalSeconds: 1, refusals: 1 }, gateway: `127.0.0.23:${port}`, auth: { method: 'PLAIN', user: 'relay-user', pass: 'nope' } },
  });
  t.teardown(() => wrong.close());
  await seedAccounts(wrong, 'local.test', ['alice']);
  await submit(wrong.smtpPort, { ...alice, to: ['e@far.example'], subject: 'bad login' });
  const deferred = await waitFor('a deferral', async () => (await wrong.store.queue.list())[0]?.recipients.find((r) => r.attempts >= 1));
  t.match(deferred.lastError, /4\.7\.0 AUTH to the gateway failed: 535/);
  const bounce = await waitFor('the bounce after the refusals', async () => (await inbox(wrong, 'alice@local.test')).find((x) => x.content.includes('e@far.example')));
  t.match(bounce.content, /Status: 4\.7\.0/);
});

t.test('TX-1: parallel workers, at most perDestination of them to one domain', async (t) => {
  const slowPort = await commonPort(['127.0.0.24']);
  const slow = await startPeer('127.0.0.24', slowPort, { dataDelayMs: 300 });
  t.teardown(() => slow.close());
  const par = await startTestAppliance({
    delivery: { pollMs: 100, workers: 6, perDestination: 2, gateway: `127.0.0.24:${slowPort}` },
  });
  t.teardown(() => par.close());
  for (let i = 0; i < 8; i++) {
    await par.store.queue.enqueue({ mailFrom: 'x@local.test', recipients: [`r${i}@${i % 2 ? 'one' : 'two'}.example`], content: Buffer.from(`Subject: par ${i}\r\n\r\nx\r\n`) });
  }
  await waitFor('all eight', () => slow.messages.length >= 8);
  t.ok(slow.maxConcurrent <= 4, `never more than two a domain (${slow.maxConcurrent} at once)`);
  t.ok(slow.maxConcurrent >= 3, 'both domains in parallel');
});

t.test('a bad gateway table file stops the start with its line number', async (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'gateway.dat');
  fs.writeFileSync(file, "' ok\nfine.test,gw.test,25\nbroken.test;gw.test;25\n");
  await t.rejects(startTestAppliance({ delivery: { gatewayTableFile: file } }, dir), /gatewayTableFile .*gateway\.dat: line 3: expected domain,host,port/);
});

t.test('relayed mail carries no Return-Path: only final delivery adds one (RFC 5321 §4.4)', async (t) => {
  await submit(app.smtpPort, { ...alice, to: ['e@anywhere.example', 'alice@local.test'], subject: 'no return-path on relay' });
  const m = await arrived(gateway, 'no return-path on relay');
  const header = m.content.slice(0, m.content.indexOf('\r\n\r\n'));
  t.notMatch(header, /^Return-Path:/im, 'the copy sent on has no Return-Path header');
  t.match(header, /^Received: /m, 'it has the Received trace header');
  const stored = (await inbox(app, 'alice@local.test')).map((x) => x.content).find((c) => c.includes('no return-path on relay'))!;
  t.match(stored, /^Return-Path: <alice@local\.test>\r\n/, 'the copy delivered here has exactly one, on top');
  t.equal(stored.match(/^Return-Path:/gim)?.length, 1);
});
