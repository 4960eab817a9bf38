/** RX-10 journal: every accepted message is copied to the listed addresses, over real SMTP. */
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox } from './helpers/appliance.ts';
import { smtpSteps } from './helpers/smtp-script.ts';

t.test('a copy of every accepted message goes to the journal addresses', async (t) => {
  const app = await startTestAppliance({
    delivery: { enabled: false },
    plugins: [{ name: 'journal', options: { to: ['archive@example.test', 'audit@remote.test'] } }],
  });
  t.teardown(() => app.close());
  await seedAccounts(app, 'example.test', ['alice', 'bob', 'archive']);
  const r = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<x@client.test>'], ['cmd', 'RCPT TO:<alice@example.test>'],
    ['cmd', 'RCPT TO:<bob@example.test>'], ['data', 'Subject: hello\r\nTo: alice@example.test\r\n\r\nbody one\r\n']]);
  t.match(r[3], [250, /queued as/]);
  t.equal((await inbox(app, 'alice@example.test')).length, 1);
  const archived = await inbox(app, 'archive@example.test');
  t.equal(archived.length, 1, 'the local journal account got a copy');
  t.match(archived[0].content, /^X-Journal-Sender: <x@client\.test>\r\nX-Journal-Recipients: alice@example\.test, bob@example\.test\r\nX-Journal-Client: \[127\.0\.0\.1\]/);
  t.match(archived[0].content, /Subject: hello\r\nTo: alice@example\.test\r\n\r\nbody one\r\n$/);
  const queued = await app.store.queue.list();
  t.same(queued.map((q) => [q.mailFrom, q.recipients.map((x) => x.recipient)]), [['', ['audit@remote.test']]], 'the remote one is queued with the null sender');

  const refused = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<x@client.test>'], ['cmd', 'RCPT TO:<ghost@example.test>']]);
  t.equal(refused[1][0], 550);
  t.equal((await inbox(app, 'archive@example.test')).length, 1, 'nothing accepted, nothing journaled');
  await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<x@client.test>'], ['cmd', 'RCPT TO:<archive@example.test>'], ['data', 'Subject: direct\r\n\r\nx\r\n']]);
  t.equal((await inbox(app, 'archive@example.test')).length, 2, 'mail to the journal itself is not copied twice');
});
