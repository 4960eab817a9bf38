/**
 * SRS over real SMTP: a forward that keeps the original sender leaves with an SRS0 envelope
 * sender when the sender's domain publishes SPF (dnsmasq answers the TXT lookups), and a bounce
 * to that address is accepted and sent on to the original sender; forged SRS addresses are not.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { commonPort, startPeer, submit, waitFor, type Peer } from './helpers/sink.ts';
import { startDns, type TestDns } from './helpers/dns.ts';
import { smtpSteps } from './helpers/smtp-script.ts';

let peer: Peer;
let dns: TestDns;
let app: TestAppliance;

t.before(async () => {
  const port = await commonPort(['127.0.0.44']);
  peer = await startPeer('127.0.0.44', port);
  dns = await startDns({ txt: [['spf.test', 'v=spf1 ip4:192.0.2.1 -all'], ['other.test', 'just a note']] });
  app = await startTestAppliance({
    delivery: { pollMs: 100, gateway: `127.0.0.44:${port}`, dnsServers: [dns.server] },
    plugins: [{ name: 'autoreply', options: { srs: { secret: 'a secret of sixteen+ chars' }, accounts: {
      'fwd@example.test': { forward: { to: ['out@remote.test'], envelopeFrom: 'sender' } },
      'inside@example.test': { forward: { to: ['other@example.test'], envelopeFrom: 'sender' } },
    } } }],
  });
  await seedAccounts(app, 'example.test', ['fwd', 'inside', 'other']);
});
t.teardown(async () => {
  await app?.close();
  await peer?.close();
  await dns?.close();
});

const forwardOf = (subject: string) => waitFor(subject, () => peer.messages.find((m) => m.to.includes('out@remote.test') && m.content.includes(`Subject: ${subject}\r\n`)));

t.test('default mode spf: rewritten only when the sender\'s domain publishes SPF and the forward leaves', async (t) => {
  await submit(app.smtpPort, { from: 'alice@spf.test', to: ['fwd@example.test'], subject: 'from spf' });
  await submit(app.smtpPort, { from: 'bob@other.test', to: ['fwd@example.test'], subject: 'from other' });
  await submit(app.smtpPort, { from: 'carol@nowhere.test', to: ['fwd@example.test'], subject: 'from nowhere' });
  t.match((await forwardOf('from spf')).from, /^SRS0=[^=]{4}=[A-Z2-7]{2}=spf\.test=alice@example\.test$/);
  t.equal((await forwardOf('from other')).from, 'bob@other.test', 'a TXT record that is not SPF');
  t.equal((await forwardOf('from nowhere')).from, 'carol@nowhere.test', 'no such domain');
  await submit(app.smtpPort, { from: 'alice@spf.test', to: ['inside@example.test'], subject: 'stays inside' });
  const got = await waitFor('the local forward', async () => (await inbox(app, 'other@example.test'))[0]);
  t.match(got.content, /^Return-Path: <alice@spf\.test>\r\n/, 'a forward to a local account is not rewritten');
});

t.test('a bounce to the SRS address reaches the original sender; a forged one is refused', async (t) => {
  const srs = (await forwardOf('from spf')).from;
  const r = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<>'], ['cmd', `RCPT TO:<${srs}>`], ['data', 'Subject: bounce for alice\r\n\r\nundeliverable\r\n']]);
  t.match(r[1], [250]);
  t.match(r[2], [250]);
  const back = await waitFor('the bounce at the original sender', () => peer.messages.find((m) => m.content.includes('Subject: bounce for alice')));
  t.same(back.to, ['alice@spf.test']);
  t.equal(back.from, '');
  const forged = srs.replace(/^SRS0=[^=]{4}=/, 'SRS0=AAAA=');
  const f = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<>'], ['cmd', `RCPT TO:<${forged}>`]]);
  t.equal(f[1][0], 550, 'bad hash: unknown user, not relayed');
  const other = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<>'], ['cmd', `RCPT TO:<${srs.replace('alice', 'mallory')}>`]]);
  t.equal(other[1][0], 550, 'changed address: refused');
});
