/**
 * AV-2 notifications with a real clamd: through the appliance's own store/queue, and through an
 * SMTP server with AUTH PLAIN (a recording peer); &TO, &FROM, &RCV, &SND, the sender target,
 * first address in To:, the rest in Cc:.
 */
import t from 'tap';
import { simpleParser, type AddressObject } from 'mailparser';
import { startTestAppliance, seedAccounts, inbox } from './helpers/appliance.ts';
import { smtpSteps } from './helpers/smtp-script.ts';
import { startClamd, EICAR } from './helpers/clamd.ts';
import { commonPort, startPeer, waitFor } from './helpers/sink.ts';
import { expandRecipients } from '../plugins/antivirus/notify.ts';

const VIRUS = `From: Mallory <mallory@evil.test>\r\nTo: Bob <bob@example.test>, carol@example.test\r\nSubject: invoice\r\n\r\n${EICAR}\r\n`;
const addrs = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => v.address));

t.test('recipient variables', async (t) => {
  const d = { sender: 'env@evil.test', rcpts: ['bob@example.test', 'carol@example.test'], message: Buffer.from(VIRUS) };
  t.same(expandRecipients({ recipients: ['admin@example.test,&RCV', '&TO', '&FROM', '&SND'], target: 'list' }, d),
    ['admin@example.test', 'bob@example.test', 'carol@example.test', 'mallory@evil.test', 'env@evil.test']);
  t.same(expandRecipients({ recipients: ['&RCV'], target: 'sender' }, d), ['env@evil.test']);
  t.same(expandRecipients({ recipients: ['&TO'], target: 'both' }, d), ['bob@example.test', 'env@evil.test']);
  t.same(expandRecipients({ recipients: ['&SND'], target: 'both' }, { ...d, sender: '' }), [], 'never to the null sender');
});

t.test('notifications', async (t) => {
  const clamd = await startClamd();
  t.teardown(() => clamd.close());

  t.test('through the store: local accounts get it, others are queued', async (t) => {
    const app = await startTestAppliance({
      delivery: { enabled: false },
      plugins: [{
        name: 'antivirus',
        options: {
          clamd: { socket: clamd.socket },
          notify: { enabled: true, from: 'virus-alert@example.test', fromName: 'ウイルス監視', recipients: ['admin@example.test', '&RCV', '&FROM'], target: 'both' },
        },
      }],
    });
    t.teardown(() => app.close());
    await seedAccounts(app, 'example.test', ['bob', 'carol', 'admin']);
    const r = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<env@evil.test>'], ['cmd', 'RCPT TO:<bob@example.test>'], ['cmd', 'RCPT TO:<carol@example.test>'], ['data', VIRUS]]);
    t.match(r[3], [554, /Test\.EICAR\.UNOFFICIAL/]);
    const got = await inbox(app, 'admin@example.test');
    t.equal(got.length, 1, 'the admin got the notification');
    const n = await simpleParser(got[0].content);
    t.same(addrs(n.to), ['admin@example.test'], 'first address in To:');
    t.same(addrs(n.cc), ['bob@example.test', 'carol@example.test', 'mallory@evil.test', 'env@evil.test'], 'the rest in Cc:');
    t.equal(n.from?.value[0].name, 'ウイルス監視');
    t.match(n.subject, /Test\.EICAR\.UNOFFICIAL/);
    t.match(n.text, /Sender: +<env@evil\.test>[\s\S]*Subject: +invoice/);
    t.equal((await inbox(app, 'bob@example.test')).length, 1, 'bob (&RCV) got the notification, not the virus');
    t.match((await inbox(app, 'bob@example.test'))[0].content, /Subject: Virus detected/);
    const q = await app.store.queue.list();
    t.same(q.map((e) => [e.mailFrom, e.recipients.map((x) => x.recipient).sort()]), [['', ['env@evil.test', 'mallory@evil.test']]], 'remote ones queued with the null sender');
  });

  t.test('through an SMTP server with AUTH PLAIN', async (t) => {
    const port = await commonPort(['127.0.0.1']);
    const peer = await startPeer('127.0.0.1', port, { auth: { user: 'notifier', pass: 's3cret' } });
    t.teardown(() => peer.close());
    const app = await startTestAppliance({
      plugins: [{
        name: 'antivirus',
        options: {
          clamd: { host: '127.0.0.1', port: clamd.port },
          notify: { enabled: true, smtp: { host: '127.0.0.1', port, user: 'notifier', pass: 's3cret' }, from: 'av@example.test', recipients: ['sec@corp.test', '&TO'], target: 'list' },
        },
      }],
    });
    t.teardown(() => app.close());
    await seedAccounts(app, 'example.test', ['bob']);
    const r = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<env@evil.test>'], ['cmd', 'RCPT TO:<bob@example.test>'], ['data', VIRUS]]);
    t.match(r[2], [554]);
    const m = await waitFor('the notification at the SMTP server', () => peer.messages[0]);
    t.equal(m.user, 'notifier', 'authenticated');
    t.equal(m.from, 'av@example.test');
    t.same(m.to, ['sec@corp.test', 'bob@example.test']);
    const n = await simpleParser(m.content);
    t.same(addrs(n.to), ['sec@corp.test']);
    t.same(addrs(n.cc), ['bob@example.test']);
    t.equal((await inbox(app, 'bob@example.test')).length, 0);
  });
});
