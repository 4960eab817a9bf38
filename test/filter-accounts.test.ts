/** AC-6 per-account filter tables, applied when the message is stored for that account, over SMTP. */
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { smtpSteps } from './helpers/smtp-script.ts';

async function folder(app: TestAppliance, address: string, name: string): Promise<string[]> {
  const acct = await app.store.accounts.get(address);
  const box = await app.store.mail.mailbox(acct!.id, name);
  if (!box) return [];
  const out = [];
  for (const m of await app.store.mail.messages(box.id)) out.push((await app.store.mail.read(m.blobId)).toString());
  return out;
}

t.test('an account table changes only that account\'s copy', async (t) => {
  const app = await startTestAppliance({
    delivery: { enabled: false },
    plugins: [{
      name: 'mailfilter',
      options: {
        exemptIps: ['127.0.0.8'],
        accounts: {
          'Carol@Example.test': {
            rules: [
              { name: 'tag', headers: [{ header: 'Subject', token: 'offer' }], level: { action: 4, keepCopy: true, banIp: false }, tag: 'X-Carol-Filter: offer', folder: 'Junk' },
              { name: 'drop', headers: [{ header: 'Subject', token: 'drop' }], level: { action: 1, keepCopy: false, banIp: false } },
              { name: 'fwd', headers: [{ header: 'From', token: 'boss@' }], level: { action: 6, keepCopy: false, banIp: false }, tag: '[BOSS]', forward: 'carol@mobile.test' },
            ],
          },
        },
      },
    }],
  });
  t.teardown(() => app.close());
  await seedAccounts(app, 'example.test', ['bob', 'carol']);
  const send = (subject: string, from = 'x@client.test', source?: string) => smtpSteps(app.smtpPort, [['cmd', `MAIL FROM:<${from}>`],
    ['cmd', 'RCPT TO:<bob@example.test>'], ['cmd', 'RCPT TO:<carol@example.test>'],
    ['data', `From: ${from}\r\nSubject: ${subject}\r\n\r\nbody\r\n`]], source);

  t.match((await send('special offer'))[3], [250]);
  t.match((await inbox(app, 'carol@example.test'))[0].content, /X-Carol-Filter: offer\r\n[\s\S]*Subject: special offer/);
  t.notMatch((await inbox(app, 'bob@example.test'))[0].content, /X-Carol-Filter/, 'bob has no table');
  const junk = await folder(app, 'carol@example.test', 'Junk');
  t.equal(junk.length, 1, 'tens digit: a copy in the account\'s Junk folder');

  t.match((await send('please drop'))[3], [250], 'a per-account 1xx cannot refuse the accepted message');
  t.equal((await inbox(app, 'carol@example.test')).length, 1, 'carol keeps no copy');
  t.equal((await inbox(app, 'bob@example.test')).length, 2, 'bob gets it');

  t.match((await send('weekly', 'boss@client.test'))[3], [250]);
  t.match((await inbox(app, 'carol@example.test'))[1].content, /Subject: \[BOSS\] weekly/);
  const q = await app.store.queue.list();
  t.same(q.map((e) => e.recipients.map((r) => r.recipient)), [['carol@mobile.test']], '6xx forwards carol\'s tagged copy');
  t.match((await app.store.queue.read(q[0].blobId)).toString(), /Subject: \[BOSS\] weekly/);

  t.match((await send('please drop', 'x@client.test', '127.0.0.8'))[3], [250]);
  t.equal((await inbox(app, 'carol@example.test')).length, 3, 'exempt IPs skip the account tables too');
});
