/**
 * Delivery over real SMTP, routed by real DNS: dnsmasq serves the MX/A records, Postfix's
 * smtp-sink and an smtp-server peer take the mail on loopback addresses, the appliance relays
 * what an authenticated client (Python's smtplib) submits. MX order and fallback (RFC 5321 §5.1),
 * null MX (RFC 7505), NXDOMAIN, per-recipient 5xx, bounces (RFC 3464) with the admin copy (DO-1).
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { startDns, type TestDns } from './helpers/dns.ts';
import { commonPort, smtpError, startPeer, startSmtpSink, submit, waitFor, type Peer, type SmtpSink } from './helpers/sink.ts';

let app: TestAppliance;
let dns: TestDns;
let sink: SmtpSink;
let peer: Peer;
let port: number;

t.before(async () => {
  port = await commonPort(['127.0.0.2', '127.0.0.3', '127.0.0.5']);
  dns = await startDns({
    mx: [
      ['remote.test', 'mx1.remote.test', 10], ['remote.test', 'mx9.remote.test', 90],
      ['fallback.test', 'dead.fallback.test', 5], ['fallback.test', 'mx1.remote.test', 20],
      ['null.test', '.', 0],
      ['picky.test', 'mx.picky.test', 10],
    ],
    hosts: [['mx1.remote.test', '127.0.0.2'], ['mx9.remote.test', '127.0.0.5'], ['dead.fallback.test', '127.0.0.4'],
      ['bare.test', '127.0.0.2'], ['mx.picky.test', '127.0.0.3']],
  });
  sink = await startSmtpSink('127.0.0.2', port);
  peer = await startPeer('127.0.0.3', port, { onRcpt: (a) => (a.startsWith('nobody@') ? smtpError(550, '5.1.1 <nobody@picky.test>: no such user') : null) });
  app = await startTestAppliance({
    smtp: { auth: { allowInsecure: true } },
    delivery: { dnsServers: [dns.server], port, pollMs: 100, retry: { intervalSeconds: 1 }, timeouts: { connectMs: 2000, greetingMs: 3000, socketMs: 3000 }, logs: { node: 'node-a', conversation: true } },
  });
  await seedAccounts(app, 'local.test', ['alice', 'postmaster']);
  await app.store.domains.update('local.test', { copyErrorsToAdmin: true, admin: 'postmaster@local.test' });
});
t.teardown(async () => {
  await app?.close();
  await Promise.all([sink?.close(), peer?.close(), dns?.close()]);
});

const alice = { user: 'alice@local.test', pw: 'pw-alice', from: 'alice@local.test' };
const queueEmpty = async () => (await app.store.queue.list()).length === 0;
const logFile = (name: string) => path.join(app.dataDir, 'logs', 'node-a', name);

t.test('recipients of one domain leave in one transaction to the best MX', async (t) => {
  await submit(app.smtpPort, { ...alice, to: ['bob@remote.test', 'carol@remote.test'], subject: 'two at once' });
  const msg = await waitFor('the sink to get the message', () => sink.messages().find((m) => m.content.includes('two at once')));
  t.same(msg.to.sort(), ['bob@remote.test', 'carol@remote.test'], 'one RCPT per recipient, one transaction');
  t.equal(msg.from, 'alice@local.test');
  t.match(msg.content, /Subject: two at once/);
  await waitFor('the queue to empty', queueEmpty);
  // the log is written through a stream: wait for the line rather than race it
  const sent = /\t<alice@local\.test>\t<bob@remote\.test>\tsent\t/;
  const log = await waitFor('the delivery log line', () => {
    const text = fs.existsSync(logFile('delivery.log')) ? fs.readFileSync(logFile('delivery.log'), 'utf8') : '';
    return sent.test(text) ? text : null;
  });
  t.match(log, /\t<alice@local\.test>\t<bob@remote\.test>\tsent\t1\tmx1\.remote\.test\[127\.0\.0\.2\]/, 'delivery log line');
  t.match(fs.readFileSync(logFile('smtp-send.log'), 'utf8'), /mx1\.remote\.test\[127\.0\.0\.2\]:\d+\tC: RCPT TO:<carol@remote\.test>/, 'send log has the conversation');
});

t.test('an MX that does not answer passes to the next; a domain without MX gets its A record', async (t) => {
  await submit(app.smtpPort, { ...alice, to: ['x@fallback.test'], subject: 'via fallback' });
  await submit(app.smtpPort, { ...alice, to: ['y@bare.test'], subject: 'via A record' });
  await waitFor('both at the sink', () => sink.messages().some((m) => m.content.includes('via fallback')) && sink.messages().some((m) => m.content.includes('via A record')));
  await waitFor('the queue to empty', queueEmpty);
  t.pass();
});

t.test('NXDOMAIN and null MX bounce at once to the sender, with a copy to the admin', async (t) => {
  await submit(app.smtpPort, { ...alice, to: ['z@nowhere.test', 'n@null.test'], subject: 'doomed' });
  const bounces = await waitFor('two bounces', async () => {
    const m = (await inbox(app, 'alice@local.test')).filter((x) => x.content.includes('Undelivered Mail'));
    return m.length >= 2 ? m : null;
  });
  const all = bounces.map((b) => b.content).join('\n');
  t.match(all, /Content-Type: multipart\/report; report-type=delivery-status/);
  t.match(all, /Final-Recipient: rfc822; z@nowhere\.test\r\nAction: failed\r\nStatus: 5\.1\.2/);
  t.match(all, /Final-Recipient: rfc822; n@null\.test\r\nAction: failed\r\nStatus: 5\.1\.10/);
  t.match(all, /Return-Path: <>/, 'the bounce comes from the null sender');
  t.match(all, /Subject: doomed/, 'the original headers are returned');
  const admin = await inbox(app, 'postmaster@local.test');
  t.ok(admin.some((m) => m.content.includes('z@nowhere.test')), 'the admin got a copy (copyErrorsToAdmin)');
  await waitFor('the queue to empty', queueEmpty);
  t.match(fs.readFileSync(logFile('delivery-failure.log'), 'utf8'), /<alice@local\.test>\t<z@nowhere\.test>\t5\.1\.2/);
});

t.test('a 5xx for one recipient bounces it; the other is delivered', async (t) => {
  const before = (await inbox(app, 'alice@local.test')).length;
  await submit(app.smtpPort, { ...alice, to: ['nobody@picky.test', 'somebody@picky.test'], subject: 'half' });
  await waitFor('delivery to the peer', () => peer.messages.find((m) => m.content.includes('Subject: half')));
  t.same(peer.messages.find((m) => m.content.includes('Subject: half'))!.to, ['somebody@picky.test']);
  const bounce = await waitFor('the bounce', async () => (await inbox(app, 'alice@local.test')).slice(before).find((m) => m.content.includes('nobody@picky.test')));
  t.match(bounce.content, /Status: 5\.1\.1\r\nRemote-MTA: dns; mx\.picky\.test\r\nDiagnostic-Code: smtp; 550 5\.1\.1 <nobody@picky\.test>: no such user/);
  t.notMatch(bounce.content, /Final-Recipient: rfc822; somebody@picky\.test/);
});

t.test('a bounce that cannot be delivered is dropped, never bounced (no loops)', async (t) => {
  // the envelope sender is remote and its domain does not exist: the bounce to it fails for good
  await app.store.queue.enqueue({ mailFrom: 'ghost@gone.test', recipients: ['x@nowhere.test'], content: Buffer.from('Subject: loop\r\n\r\nx\r\n') });
  await waitFor('the queue to empty', queueEmpty);
  // the delivery log is a buffered stream: the line of the bounce's failure can follow the commit
  const failures = await waitFor('the bounce\'s failure in the log', () => {
    const text = fs.readFileSync(logFile('delivery-failure.log'), 'utf8');
    return /\t<>\t<ghost@gone\.test>\t/.test(text) ? text : null;
  });
  t.match(failures, /<ghost@gone\.test>\t<x@nowhere\.test>/);
  t.match(failures, /\t<>\t<ghost@gone\.test>\t5\.1\.2/, 'the bounce failed too');
  t.equal((await app.store.queue.list()).length, 0, 'and nothing more was queued');
});

t.test('TX-3 MX cache: a destination that took mail is reached without DNS', async (t) => {
  await dns.close(); // remote.test took mail in the first test; its MX hosts are cached (default 10 days)
  await submit(app.smtpPort, { ...alice, to: ['again@remote.test'], subject: 'from the cache' });
  await waitFor('delivery without DNS', () => sink.messages().find((m) => m.content.includes('from the cache')));
  t.pass();
});
