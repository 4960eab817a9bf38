/**
 * AR-1 over real SMTP: auto-replies to remote senders (received by a peer on loopback through
 * the delivery gateway, decoded with mailparser) and between local accounts (through the
 * delivery engine's local path), the seed's two examples, Japanese in UTF-8 and ISO-2022-JP,
 * and the RFC 3834 guards.
 */
import t from 'tap';
import { simpleParser } from 'mailparser';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { commonPort, startPeer, submit, waitFor, type Peer } from './helpers/sink.ts';
import { smtpSteps } from './helpers/smtp-script.ts';

const VACATION = 'メールを頂き有り難う御座います。\n現在、8月5日まで休暇のため、このメールは現在、自動応答としています。\n';
const MOVED = '鈴木さんは組織 ABCから移動し、移動先アドレスは"suzuki@bcd.co.jp"となりました。\n"suzuki@abc.co.jp"へはメールを送らない様お願いいたします。\n';

let peer: Peer;
let app: TestAppliance;

t.before(async () => {
  const port = await commonPort(['127.0.0.42']);
  peer = await startPeer('127.0.0.42', port);
  app = await startTestAppliance({
    delivery: { pollMs: 100, gateway: `127.0.0.42:${port}`, retry: { intervalSeconds: 1, refusals: 1 } },
    plugins: [{ name: 'autoreply', options: { accounts: {
      // the seed's example 1 (vacation notice), the subject in Japanese, UTF-8 on the wire
      'vac@example.test': { reply: { text: VACATION, subject: '休暇中です', recordReplies: true, noReply: ['abc@xxx.co.jp'] } },
      // the seed's example 2 (moved notice), ISO-2022-JP on the wire
      'moved@example.test': { keep: false, reply: { text: MOVED, subject: '移動しました', from: 'Postmaster@example.test', echo: 'with-headers', noReply: ['def@ghi.co.jp'], charset: 'iso-2022-jp' } },
      'once@example.test': { reply: { text: 'Away.', replyTo: 'desk@example.test', echo: 'without-headers', onceOnly: true, periodDays: 0 } },
      'ara@example.test': { reply: { text: 'A is away.' } },
      'arb@example.test': { reply: { text: 'B is away.' } },
    } } }],
  });
  await seedAccounts(app, 'example.test', ['vac', 'moved', 'once', 'ara', 'arb']);
});
t.teardown(async () => {
  await app?.close();
  await peer?.close();
});

const repliesTo = (rcpt: string) => peer.messages.filter((m) => m.to.includes(rcpt));
const reply = (rcpt: string) => waitFor(`a reply to ${rcpt}`, () => repliesTo(rcpt)[0]);
const queueEmpty = () => waitFor('the queue to drain', async () => (await app.store.queue.list()).every((e) => e.recipients.every((r) => r.status !== 'pending')));

t.test('vacation notice: Japanese text and subject in UTF-8, RFC 3834 headers, recorded, once per period', async (t) => {
  await submit(app.smtpPort, { from: 'friend@remote.test', to: ['vac@example.test'], subject: 'lunch?' });
  const m = await reply('friend@remote.test');
  t.equal(m.from, '', 'null envelope sender (RFC 3834 §3.3)');
  const raw = m.content.toString('latin1');
  t.match(raw, /^Subject: =\?UTF-8\?B\?/m, 'RFC 2047 encoded subject');
  t.match(raw, /charset=UTF-8/);
  const p = await simpleParser(m.content);
  t.equal(p.subject, '休暇中です');
  t.equal(p.text, VACATION);
  t.equal(p.from?.value[0].address, 'vac@example.test');
  t.equal(p.headers.get('auto-submitted'), 'auto-replied');
  t.match(String(p.inReplyTo), /@client\.test>$/);
  t.equal((await inbox(app, 'vac@example.test')).length, 1, 'the message is kept');
  // a second message from the same sender within the period gets no reply
  await submit(app.smtpPort, { from: 'friend@remote.test', to: ['vac@example.test'], subject: 'lunch again?' });
  await queueEmpty();
  t.equal(repliesTo('friend@remote.test').length, 1, 'one reply per sender per period');
  const acct = await app.store.accounts.get('vac@example.test');
  t.match(await app.store.autoreply.list(acct!.id), [{ address: 'friend@remote.test', recorded: true, neverAgain: false }], 'RecordReplies');
  await submit(app.smtpPort, { from: 'abc@xxx.co.jp', to: ['vac@example.test'], subject: 'listed' });
  await queueEmpty();
  t.equal(repliesTo('abc@xxx.co.jp').length, 0, 'NOREPLY.TXT');
});

t.test('moved notice: ISO-2022-JP, ReplyFrom, echo with headers, discard', async (t) => {
  await submit(app.smtpPort, { from: 'client@remote.test', to: ['moved@example.test'], subject: 'order 42' });
  const m = await reply('client@remote.test');
  const raw = m.content.toString('latin1');
  t.match(raw, /^Subject: =\?ISO-2022-JP\?B\?/m);
  t.match(raw, /charset=ISO-2022-JP/);
  t.ok(/^[\x00-\x7f]*$/.test(raw), 'ISO-2022-JP text is 7-bit');
  const p = await simpleParser(m.content);
  t.equal(p.subject, '移動しました');
  t.equal(p.text?.split('\n').slice(0, 2).join('\n') + '\n', MOVED, 'the text reads back');
  t.equal(p.from?.value[0].address, 'Postmaster@example.test');
  t.match(raw, /Content-Type: message\/rfc822[\s\S]*Subject: order 42\r\n/, 'the received message with its headers');
  t.equal((await inbox(app, 'moved@example.test')).length, 0, 'Discard');
});

t.test('echo without headers, Reply-To, "do not reply again"', async (t) => {
  await submit(app.smtpPort, { from: 'pal@remote.test', to: ['once@example.test'], body: 'From: pal@remote.test\r\nSubject: first\r\nX-Secret-Header: yes\r\n\r\nthe original words\r\n' });
  const m = await reply('pal@remote.test');
  const p = await simpleParser(m.content);
  t.equal(p.replyTo?.value[0].address, 'desk@example.test');
  t.match(p.text, /Away\.[\s\S]*the original words/);
  t.notMatch(m.content.toString(), /X-Secret-Header/, 'no headers of the received message');
  t.equal(p.subject, 'Re: first', 'default subject');
  await submit(app.smtpPort, { from: 'pal@remote.test', to: ['once@example.test'], subject: 'second' });
  await queueEmpty();
  t.equal(repliesTo('pal@remote.test').length, 1, 'never again, although periodDays is 0');
  const acct = await app.store.accounts.get('once@example.test');
  t.match(await app.store.autoreply.list(acct!.id), [{ address: 'pal@remote.test', neverAgain: true, recorded: false }]);
});

t.test('RFC 3834 guards: <>, Auto-Submitted, List-Id, Precedence, robots', async (t) => {
  const cases: [string, string][] = [
    ['', 'Subject: bounce\r\n\r\nx\r\n'],
    ['auto@remote.test', 'Subject: ooo\r\nAuto-Submitted: auto-replied\r\n\r\nx\r\n'],
    ['list@remote.test', 'Subject: digest\r\nList-Id: <news.remote.test>\r\n\r\nx\r\n'],
    ['bulk@remote.test', 'Subject: offer\r\nPrecedence: bulk\r\n\r\nx\r\n'],
    ['MAILER-DAEMON@remote.test', 'Subject: report\r\n\r\nx\r\n'],
  ];
  for (const [from, data] of cases) {
    const r = await smtpSteps(app.smtpPort, [['cmd', `MAIL FROM:<${from}>`], ['cmd', 'RCPT TO:<ara@example.test>'], ['data', data]]);
    t.match(r[2], [250], `accepted from <${from}>`);
  }
  // a control message that does get a reply: the guarded ones were committed before it
  await submit(app.smtpPort, { from: 'human@remote.test', to: ['ara@example.test'], body: 'Subject: hi\r\nAuto-Submitted: no\r\n\r\nx\r\n' });
  await reply('human@remote.test');
  await queueEmpty();
  t.same(peer.messages.filter((m) => m.content.includes('A is away.')).flatMap((m) => m.to), ['human@remote.test'], 'only the human got a reply');
});

t.test('two local accounts auto-replying to each other: at most one reply each', async (t) => {
  const before = { a: (await inbox(app, 'ara@example.test')).length, b: (await inbox(app, 'arb@example.test')).length };
  await submit(app.smtpPort, { from: 'ara@example.test', to: ['arb@example.test'], subject: 'from A' });
  await submit(app.smtpPort, { from: 'arb@example.test', to: ['ara@example.test'], subject: 'from B' });
  await waitFor('both replies', async () => (await inbox(app, 'ara@example.test')).length === before.a + 2 && (await inbox(app, 'arb@example.test')).length === before.b + 2);
  await queueEmpty();
  await new Promise((r) => setTimeout(r, 300));
  const a = (await inbox(app, 'ara@example.test')).slice(before.a);
  const b = (await inbox(app, 'arb@example.test')).slice(before.b);
  t.equal(a.filter((m) => m.content.includes('B is away.')).length, 1, 'A got one reply from B');
  t.equal(b.filter((m) => m.content.includes('A is away.')).length, 1, 'B got one reply from A');
  t.equal(a.length, 2);
  t.equal(b.length, 2);
  t.ok(a.every((m) => !m.content.includes('A is away.')), 'A never answered B\'s auto-reply');
});
