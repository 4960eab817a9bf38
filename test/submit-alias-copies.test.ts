/**
 * One way in for a message: a journal copy and a mail-filter Forward: copy addressed to an alias
 * arrive where SMTP mail to that alias arrives (the alias's account), resolved the same way.
 * The journal copy is committed before the client's 250, so it is in the mailbox at once; the
 * filter's copy goes through the delivery queue (committed with the message) and its local hand-off.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, tempDir, type TestAppliance } from './helpers/appliance.ts';
import { smtpSteps } from './helpers/smtp-script.ts';
import { waitFor } from './helpers/sink.ts';

async function send(app: TestAppliance, rcpt: string, subject: string) {
  const r = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<x@client.test>'], ['cmd', `RCPT TO:<${rcpt}>`],
    ['data', `From: x@client.test\r\nTo: ${rcpt}\r\nSubject: ${subject}\r\n\r\nhello\r\n`]]);
  return r[r.length - 1];
}

async function aliases(app: TestAppliance) {
  await seedAccounts(app, 'example.test', ['bob', 'keeper']);
  await app.store.aliases.add({ alias: 'journal@example.test', target: 'keeper@example.test', rewrite: null });
  await app.store.aliases.add({ alias: 'copies@example.test', target: 'keeper@example.test', rewrite: null });
}

t.test('a journal copy to an alias lands in the alias target, before the 250', async (t) => {
  const app = await startTestAppliance({
    delivery: { enabled: false },
    plugins: [{ name: 'journal', options: { to: ['journal@example.test'] } }],
  });
  t.teardown(() => app.close());
  await aliases(app);
  t.match(await send(app, 'journal@example.test', 'direct'), [250], 'SMTP mail to the alias');
  t.match((await inbox(app, 'keeper@example.test')).map((m) => m.content).join('\n'), /Subject: direct/, 'SMTP mail to the alias is in keeper\'s INBOX');
  t.match(await send(app, 'bob@example.test', 'journaled'), [250]);
  const kept = (await inbox(app, 'keeper@example.test')).map((m) => m.content);
  t.equal(kept.length, 2, 'the journal copy is in keeper\'s INBOX as soon as the client has its 250');
  t.match(kept[1], /^X-Journal-Sender: <x@client\.test>\r\nX-Journal-Recipients: bob@example\.test\r\n[\s\S]*Subject: journaled/);
  t.same((await app.store.queue.list()).map((q) => q.recipients.map((r) => r.recipient)), [], 'nothing was queued for the alias');
});

t.test('a filter Forward: copy to an alias lands in the alias target', async (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'mail.dat');
  fs.writeFileSync(file, 'Virus:fwd\r\nSubject:fwd me\r\nLevel:500\r\nForward:copies@example.test\r\nVirusEnd:\r\n');
  const app = await startTestAppliance({
    delivery: { pollMs: 100 },
    plugins: [{ name: 'mailfilter', options: { file } }],
  });
  t.teardown(() => app.close());
  await aliases(app);
  t.match(await send(app, 'bob@example.test', 'fwd me please'), [250]);
  t.match((await inbox(app, 'bob@example.test'))[0]?.content, /Subject: fwd me please/, 'level 500 still delivers to bob');
  const kept = await waitFor('the forwarded copy in keeper\'s INBOX', async () => {
    const box = await inbox(app, 'keeper@example.test');
    return box.length ? box : undefined;
  });
  t.match(kept[0].content, /Subject: fwd me please/, 'the copy to copies@ (an alias) is where SMTP mail to copies@ goes');
  t.match(await send(app, 'copies@example.test', 'direct to alias'), [250]);
  t.equal((await inbox(app, 'keeper@example.test')).length, 2, 'SMTP mail to the alias lands in the same INBOX');
});
