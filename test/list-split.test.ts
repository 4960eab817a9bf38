/**
 * ML-5 over real SMTP with the delivery engine off, so the queue shows how a post was split:
 * by domain (a domain never spans two entries) or evenly; and a Japanese (ISO-2022-JP) subject
 * tagged and re-encoded.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, type TestAppliance } from './helpers/appliance.ts';
import { submit, waitFor } from './helpers/sink.ts';
import { simpleParser } from 'mailparser';

let app: TestAppliance;
const D = 'example.test';
const MEMBERS = ['a1@one.test', 'a2@one.test', 'a3@one.test', 'b1@two.test', 'b2@two.test', 'c1@three.test', `alice@${D}`];

t.before(async () => {
  app = await startTestAppliance({
    delivery: { enabled: false },
    plugins: [{ name: 'mailing-list', options: { lists: [
      { name: `bydomain@${D}`, posters: 'anyone', split: { rule: 'domain', parts: 2 }, subjectTag: '[jp %03d]' },
      { name: `even@${D}`, posters: 'anyone', split: { rule: 'even', parts: 3 } },
    ] } }],
  });
  await seedAccounts(app, D, ['alice']);
  for (const l of [`bydomain@${D}`, `even@${D}`]) await app.store.lists!.replaceMembers(l, MEMBERS.map((address) => ({ address, name: '' })));
});
t.teardown(() => app?.close());

const entries = async (marker: string) => {
  const out = [];
  for (const q of await app.store.queue.list()) {
    const content = (await app.store.queue.read(q.blobId)).toString('latin1');
    if (content.includes(marker)) out.push({ rcpts: q.recipients.map((r) => r.recipient), content });
  }
  return out;
};

t.test('by domain into 2 parts: every domain in one entry', async (t) => {
  // ISO-2022-JP subject "日本語の件名" as a client would send it
  const subject = '=?ISO-2022-JP?B?GyRCRnxLXDhsJE43b0w+GyhC?=';
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`bydomain@${D}`], body: `From: alice@${D}\r\nSubject: ${subject}\r\nX-Marker: dom\r\n\r\nbody\r\n` });
  const got = await waitFor('2 entries', async () => ((await entries('X-Marker: dom')).length === 2 ? entries('X-Marker: dom') : null));
  t.same(got.flatMap((e) => e.rcpts).sort(), [...MEMBERS].sort(), 'every member once');
  for (const d of ['one.test', 'two.test', 'three.test', D]) t.equal(got.filter((e) => e.rcpts.some((r) => r.endsWith(`@${d}`))).length, 1, `${d} in one entry`);
  const parsed = await simpleParser(got[0].content);
  t.equal(parsed.subject, '[jp 001] 日本語の件名', 'decoded, tagged, encoded again');
});

t.test('evenly into 3 parts', async (t) => {
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`even@${D}`], body: `From: alice@${D}\r\nSubject: even\r\nX-Marker: even\r\n\r\nbody\r\n` });
  const got = await waitFor('3 entries', async () => ((await entries('X-Marker: even')).length === 3 ? entries('X-Marker: even') : null));
  t.same(got.map((e) => e.rcpts.length).sort(), [1, 3, 3]);
  t.same(got.flatMap((e) => e.rcpts).sort(), [...MEMBERS].sort());
});
