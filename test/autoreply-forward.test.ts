/**
 * FW-1 / FW-2 over real SMTP: forwards to remote addresses (received by a peer on loopback
 * through the delivery gateway) and to local accounts (through the delivery engine's local path,
 * which runs the local_delivery hook again), each option, and the loop guards.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { startTestAppliance, seedAccounts, inbox, tempDir, type TestAppliance } from './helpers/appliance.ts';
import { commonPort, startPeer, submit, waitFor, type Peer } from './helpers/sink.ts';
import { smtpSteps } from './helpers/smtp-script.ts';

let peer: Peer;
let app: TestAppliance;

t.before(async () => {
  const port = await commonPort(['127.0.0.41']);
  peer = await startPeer('127.0.0.41', port);
  const list = path.join(tempDir(), 'address.txt');
  fs.writeFileSync(list, 'list1@remote.test\r\n\r\nlist2@remote.test\r\n');
  app = await startTestAppliance({
    delivery: { pollMs: 100, gateway: `127.0.0.41:${port}`, retry: { intervalSeconds: 1, refusals: 1 } },
    // SRS has its own test (autoreply-srs.test.ts); here the original sender is kept as it is
    plugins: [{ name: 'autoreply', options: { srs: { mode: 'off' }, accounts: {
      'keep@example.test': { forward: { to: ['one@remote.test'] } },
      'drop@example.test': { keep: false, forward: { file: list, envelopeFrom: 'sender', stripAttachments: true } },
      'permit@example.test': { keep: false, forward: { to: ['permit-out@remote.test'], permitFrom: ['boss@corp.test', '*@partner.test'], envelopeFrom: 'none' } },
      'cut@example.test': { forward: { to: ['cut-out@remote.test'], maxBodyBytes: 10, envelopeFrom: 'errors@example.test' } },
      'head@example.test': { forward: { to: ['head-out@remote.test'], maxBodyBytes: 0 } },
      // envelope = original sender: with the default (admin), FW-2 alone would stop the second hop
      'loopa@example.test': { forward: { to: ['loopb@example.test'], envelopeFrom: 'sender' } },
      'loopb@example.test': { forward: { to: ['loopa@example.test'], envelopeFrom: 'sender' } },
    } } }],
  });
  await seedAccounts(app, 'example.test', ['keep', 'drop', 'permit', 'cut', 'head', 'loopa', 'loopb', 'administrator']);
});
t.teardown(async () => {
  await app?.close();
  await peer?.close();
});

const at = (rcpt: string) => waitFor(`a message for ${rcpt}`, () => peer.messages.find((m) => m.to.includes(rcpt)));
const queueEmpty = () => waitFor('the queue to drain', async () => (await app.store.queue.list()).every((e) => e.recipients.every((r) => r.status !== 'pending')));

t.test('one address, keep a copy, envelope sender = the domain admin (default)', async (t) => {
  await submit(app.smtpPort, { from: 'someone@outside.test', to: ['keep@example.test'], subject: 'fw keep' });
  const m = await at('one@remote.test');
  t.equal(m.from, 'Administrator@example.test');
  const text = m.content.toString('latin1');
  t.match(text, /^X-Autoforwarded-By: keep@example\.test\r\n/);
  t.notMatch(text, /^Return-Path:/m, 'no Return-Path is forwarded');
  t.match(text, /Subject: fw keep\r\n/);
  t.equal((await inbox(app, 'keep@example.test')).length, 1, 'a copy stays');
});

t.test('list file, discard, original sender, attachments stripped', async (t) => {
  const body = [
    'From: Sender <someone@outside.test>', 'To: drop@example.test', 'Subject: with attachment', 'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="XX"', '', 'preamble', '--XX', 'Content-Type: text/plain; charset=us-ascii', '',
    'the text part', '--XX', 'Content-Type: application/octet-stream; name="secret.bin"', 'Content-Disposition: attachment; filename="secret.bin"',
    'Content-Transfer-Encoding: base64', '', 'U0VDUkVUU0VDUkVU', '--XX--', '',
  ].join('\r\n');
  await submit(app.smtpPort, { from: 'someone@outside.test', to: ['drop@example.test'], body });
  const m = await at('list1@remote.test');
  t.same(m.to.sort(), ['list1@remote.test', 'list2@remote.test'], 'both addresses of the file, one transaction');
  t.equal(m.from, 'someone@outside.test');
  const parsed = await simpleParser(m.content);
  t.equal(parsed.text?.trim(), 'the text part');
  t.equal(parsed.attachments.length, 0, 'the attachment is gone');
  t.notMatch(m.content.toString('latin1'), /U0VDUkVU/);
  t.match(m.content.toString('latin1'), /X-Attachments-Removed: 1/);
  t.equal((await inbox(app, 'drop@example.test')).length, 0, 'Discard: no copy');
});

t.test('permitted senders only (envelope or From:); others stay in the mailbox', async (t) => {
  await submit(app.smtpPort, { from: 'stranger@else.test', to: ['permit@example.test'], subject: 'from a stranger' });
  await submit(app.smtpPort, { from: 'x@partner.test', to: ['permit@example.test'], subject: 'from the partner' });
  await submit(app.smtpPort, { from: 'robot@else.test', to: ['permit@example.test'], body: 'From: The Boss <boss@corp.test>\r\nSubject: boss by header\r\n\r\nhi\r\n' });
  await queueEmpty();
  const out = peer.messages.filter((m) => m.to.includes('permit-out@remote.test'));
  t.same(out.map((m) => /Subject: (.*)\r\n/.exec(m.content.toString())?.[1]).sort(), ['boss by header', 'from the partner']);
  t.ok(out.every((m) => m.from === ''), 'envelope sender <> (none)');
  const kept = await inbox(app, 'permit@example.test');
  t.equal(kept.length, 1, 'the stranger\'s mail was not forwarded, so Discard does not drop it');
  t.match(kept[0].content, /Subject: from a stranger/);
});

t.test('body cut to N bytes, 0 = headers only; a given envelope sender', async (t) => {
  await submit(app.smtpPort, { from: 'someone@outside.test', to: ['cut@example.test', 'head@example.test'], body: 'Subject: long\r\n\r\n0123456789abcdefghij\r\n' });
  const cut = await at('cut-out@remote.test');
  t.equal(cut.from, 'errors@example.test');
  t.match(cut.content.toString(), /\r\n\r\n0123456789(\r\n)?$/, 'the SMTP client may end the data with CRLF');
  t.notMatch(cut.content.toString(), /abc/);
  const head = await at('head-out@remote.test');
  t.match(head.content.toString(), /Subject: long\r\n\r\n$/);
});

t.test('FW-2: mail whose envelope sender is the admin account is never forwarded', async (t) => {
  const r = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<Administrator@example.test>'], ['cmd', 'RCPT TO:<keep@example.test>'], ['data', 'Subject: from admin\r\n\r\nx\r\n']]);
  t.match(r[2], [250]);
  await queueEmpty();
  t.notOk(peer.messages.some((m) => m.content.includes('Subject: from admin')));
  t.equal((await inbox(app, 'keep@example.test')).length, 2, 'kept in the mailbox');
});

t.test('two local accounts forwarding to each other: each forwards once, then the loop mark stops it', async (t) => {
  await submit(app.smtpPort, { from: 'someone@outside.test', to: ['loopa@example.test'], subject: 'round and round' });
  await waitFor('loopa gets it back', async () => (await inbox(app, 'loopa@example.test')).length === 2);
  await queueEmpty();
  const a = await inbox(app, 'loopa@example.test');
  const b = await inbox(app, 'loopb@example.test');
  t.equal(a.length, 2, 'loopa: the original and the copy forwarded back by loopb');
  t.equal(b.length, 1, 'loopb: the forward of loopa');
  t.match(a[1].content, /X-Autoforwarded-By: loopb@example\.test\r\nX-Autoforwarded-By: loopa@example\.test\r\n/);
  await new Promise((r) => setTimeout(r, 300));
  t.equal((await inbox(app, 'loopa@example.test')).length, 2, 'and nothing more');
});
