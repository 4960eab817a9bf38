/**
 * Backscatter. Non-member posts were accepted with 250 and answered with
 * a notice to the (forgeable) envelope sender; auto-replies went to senders that failed SPF; a
 * post whose From: named a member but whose envelope sender was a stranger was distributed.
 * Now a non-member post is refused at RCPT (550), the poster is the envelope sender (or the
 * login), and nothing answers a sender whose SPF or DMARC failed. SPF is checked by the
 * mail-auth plugin against a real DNS server (dnsmasq on loopback). Delivery is off: whatever
 * a message causes is in the queue before its 250, so the queue shows what would be sent.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, type TestAppliance } from '../helpers/appliance.ts';
import { smtpSteps } from '../helpers/smtp-script.ts';
import { startDns, type TestDns } from '../helpers/dns.ts';

const D = 'example.test';
let dns: TestDns;
let app: TestAppliance;

t.before(async () => {
  // remote.test sends only from 127.0.0.2: mail claiming it from 127.0.0.1 fails SPF
  dns = await startDns({ txt: [['remote.test', 'v=spf1 ip4:127.0.0.2 -all']] });
  app = await startTestAppliance({
    plugins: [
      { name: 'mail-auth', options: { servers: [dns.server] } },
      { name: 'mailing-list', options: { lists: [{ name: 'team' }, { name: 'noticed', refusalNotice: true }] } },
      { name: 'autoreply', options: { accounts: { [`away@${D}`]: { reply: { text: 'I am away.', periodDays: 0 } } } } },
    ],
  });
  await seedAccounts(app, D, ['alice', 'away']);
  for (const l of ['team', 'noticed']) await app.store.lists!.replaceMembers(l, [{ address: `alice@${D}`, name: '' }]);
});
t.teardown(async () => {
  await app?.close();
  await dns?.close();
});

/** Queued messages for `to`. */
async function queuedFor(to: string): Promise<string[]> {
  const entries = (await app.store.queue.list()).filter((e) => e.recipients.some((r) => r.recipient === to));
  return Promise.all(entries.map(async (e) => (await app.store.queue.read(e.blobId)).toString('latin1')));
}

const mail = (from: string, subject: string) => `From: ${from}\r\nTo: x\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@remote.test>\r\n\r\nhello\r\n`;

t.test('a non-member post is refused in the session: no notice goes to a forged sender', async (t) => {
  const r = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<victim@remote.test>'], ['cmd', `RCPT TO:<team@${D}>`]], '127.0.0.2');
  t.equal(r[1][0], 550, 'refused at RCPT');
  t.match(r[1][1], /5\.7\.1 .*only members may post/);
  t.same(await queuedFor('victim@remote.test'), [], 'nothing is mailed to the sender');
});

t.test('the poster is the envelope sender: From: naming a member does not make a stranger one', async (t) => {
  const forged = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<stranger@remote.test>'], ['cmd', `RCPT TO:<team@${D}>`]], '127.0.0.2');
  t.equal(forged[1][0], 550, 'a stranger\'s envelope with a member\'s From: is refused');
  const member = await smtpSteps(app.smtpPort, [['cmd', `MAIL FROM:<alice@${D}>`], ['cmd', `RCPT TO:<team@${D}>`], ['data', mail('Someone Else <else@remote.test>', 'member post')]], '127.0.0.2');
  t.equal(member[2][0], 250, 'the member\'s envelope posts whatever its From:');
});

t.test('no auto-reply and no list notice to a sender that failed SPF; a passing sender is answered', async (t) => {
  const failed = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<forged@remote.test>'], ['cmd', `RCPT TO:<away@${D}>`], ['data', mail('forged@remote.test', 'spf fails')]], '127.0.0.1');
  t.equal(failed[2][0], 250, 'accepted (SPF is not enforced), but...');
  t.same(await queuedFor('forged@remote.test'), [], '...no auto-reply to the forged sender');
  const noticed = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<forged2@remote.test>'], ['cmd', `RCPT TO:<noticed@${D}>`], ['data', mail('forged2@remote.test', 'forged post')]], '127.0.0.1');
  t.equal(noticed[2][0], 250, 'refusalNotice: accepted, but...');
  t.same(await queuedFor('forged2@remote.test'), [], '...no notice to the forged sender');
  const passed = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<real@remote.test>'], ['cmd', `RCPT TO:<away@${D}>`], ['data', mail('real@remote.test', 'spf passes')]], '127.0.0.2');
  t.equal(passed[2][0], 250);
  const replies = await queuedFor('real@remote.test');
  t.equal(replies.length, 1, 'the sender that passed SPF gets the auto-reply');
  t.match(replies[0], /^Auto-Submitted: auto-replied\r$/m);
});
