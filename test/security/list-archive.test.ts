/**
 * The list archive must not be a mail cannon. A 400-byte command mail with
 * a forged sender and 20 lines of `ARTICLE LIST ALL` made the server mail the forged address
 * 20 times the archive, quoting the request's text back. Now ARTICLE answers members and the
 * admin only, once a mail, up to answerMaxBytes, and no answer quotes the request.
 * Delivery is off: every answer a command mail causes is committed to the queue before the
 * 250, so the queue shows exactly what would be sent.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, type TestAppliance } from '../helpers/appliance.ts';
import { smtpSteps } from '../helpers/smtp-script.ts';
import { waitFor } from '../helpers/sink.ts';
import { simpleParser } from 'mailparser';

let app: TestAppliance;
const D = 'example.test';
const POST_BYTES = 100_000;

t.before(async () => {
  app = await startTestAppliance({
    delivery: { enabled: false },
    plugins: [{ name: 'mailing-list', options: { lists: [{ name: 'arch', archive: true, answerMaxBytes: 250_000 }] } }],
  });
  await seedAccounts(app, D, ['alice']);
  await app.store.lists!.replaceMembers('arch', [{ address: `alice@${D}`, name: '' }, { address: 'member@remote.test', name: '' }]);
  // three archived posts of ~100 KB each
  for (const n of [1, 2, 3]) {
    const body = `From: alice@${D}\r\nSubject: post ${n}\r\n\r\n${'archived text line\r\n'.repeat(POST_BYTES / 20)}`;
    const r = await smtpSteps(app.smtpPort, [['cmd', `MAIL FROM:<alice@${D}>`], ['cmd', `RCPT TO:<arch@${D}>`], ['data', body]]);
    t.equal(r[2][0], 250, `post ${n} accepted`);
  }
  await waitFor('3 articles', async () => (await app.store.lists!.articles('arch')).length === 3);
});
t.teardown(() => app?.close());

/** The answers to command mails queued for `to`, as text (members also have the posts queued). */
async function queuedFor(to: string): Promise<string[]> {
  const entries = (await app.store.queue.list()).filter((e) => e.recipients.some((r) => r.recipient === to));
  const texts = await Promise.all(entries.map(async (e) => (await app.store.queue.read(e.blobId)).toString('latin1')));
  return texts.filter((x) => /^Subject: Result of your commands to arch\r$/m.test(x));
}

const BAIT = 'Cheap pills at http://spam.example/buy';
const command = (from: string) => `From: ${from}\r\nSubject: archive please\r\n\r\n${BAIT}\r\n${'ARTICLE LIST ALL\r\n'.repeat(20)}`;

async function request(sender: string): Promise<void> {
  const r = await smtpSteps(app.smtpPort, [['cmd', `MAIL FROM:<${sender}>`], ['cmd', `RCPT TO:<arch-request@${D}>`], ['data', command(sender)]]);
  if (r[2][0] !== 250) throw new Error(`command mail refused: ${JSON.stringify(r)}`);
}

t.test('a stranger (any forged sender) gets no archive and none of its own text back', async (t) => {
  await request('victim@elsewhere.test');
  const answers = await queuedFor('victim@elsewhere.test');
  t.equal(answers.length, 1, 'one answer for one command mail');
  const bytes = answers.reduce((n, a) => n + a.length, 0);
  t.ok(bytes < 10_000, `the answer is small (${bytes} bytes, the archive is ${3 * POST_BYTES})`);
  t.notMatch(answers[0], /archived text line/, 'no archived post attached');
  t.match((await simpleParser(answers[0])).text, /the archive is for the members/);
  t.notMatch(answers[0], /spam\.example/, 'the request\'s text is not quoted back');
});

t.test('a member gets one ARTICLE a mail, capped at answerMaxBytes', async (t) => {
  await request('member@remote.test');
  const answers = await queuedFor('member@remote.test');
  t.equal(answers.length, 1);
  const attached = answers[0].match(/Content-Type: message\/rfc822/g)?.length ?? 0;
  t.equal(attached, 2, 'two 100 KB posts fit in 250 KB, the third does not');
  const text = (await simpleParser(answers[0])).text ?? '';
  t.match(text, /1 more post\(s\) not sent: an answer carries at most 250000 bytes/);
  t.match(text, /one ARTICLE command a mail/, 'the other 19 ARTICLE lines were not run');
  t.ok(answers[0].length < 400_000, `the answer is bounded (${answers[0].length} bytes, not 20 x the archive)`);
  t.notMatch(answers[0], /spam\.example/);
});
