/**
 * ML-3 / ML-4 over real SMTP: commands mailed to <list>-request@<domain>, each answered by
 * mail; JOIN/LEAVE confirmed by the address itself (a forged sender cannot subscribe someone
 * else); approval by the admin; KEYGEN admin keys and their expiry; archive and ARTICLE.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { submit, waitFor } from './helpers/sink.ts';
import { simpleParser } from 'mailparser';

let app: TestAppliance;
const D = 'example.test';
const ADMIN = `boss@${D}`;

t.before(async () => {
  app = await startTestAppliance({
    // answers go to local mailboxes; a DNS server nobody runs keeps any lookup on loopback
    delivery: { pollMs: 100, dnsServers: ['127.0.0.1:9'] },
    plugins: [{ name: 'mailing-list', options: { lists: [
      { name: 'test', subjectTag: '[test %03d]', archive: true, admin: ADMIN, adminKeyMinutes: 5 },
      { name: `club@${D}`, admin: ADMIN, joinToAdmin: true, confirm: false },
      { name: `plain@${D}`, admin: ADMIN, confirm: false },
      { name: `silent@${D}`, confirm: false, noAnswer: true },
    ] } }],
  });
  await seedAccounts(app, D, ['alice', 'bob', 'dave', 'eve', 'boss']);
  await app.store.lists!.replaceMembers('test', [{ address: `alice@${D}`, name: 'Alice' }, { address: `bob@${D}`, name: '' }]);
});
t.teardown(() => app?.close());

let seq = 0;
/** Sends `body` to `to` from `from`; returns a unique subject marker. */
async function send(from: string, to: string, body: string, subject = `cmd ${++seq}`): Promise<string> {
  await submit(app.smtpPort, { from, to: [to], body: `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <m${seq}@client.test>\r\n\r\n${body}\r\n` });
  return subject;
}
const count = async (box: string, re: RegExp) => (await inbox(app, box)).filter((m) => re.test(m.content)).length;
/** The n-th (1-based) mail in `box` matching `re`, waiting for it. */
const nth = (box: string, re: RegExp, n = 1) => waitFor(`${re} #${n} in ${box}`, async () => (await inbox(app, box)).filter((m) => re.test(m.content))[n - 1]);
/** Headers and decoded text of an answer (MailComposer picks the transfer encoding). */
const decoded = async (content: string) => {
  const m = await simpleParser(content);
  return `${content.slice(0, content.indexOf('\r\n\r\n'))}\r\n\r\n${m.text ?? ''}`;
};
const RESULT = /Subject: Result of your commands to test/;

t.test('HELP, unknown lines, and STOP ends the commands', async (t) => {
  await send(`dave@${D}`, `test-request@${D}`, 'HELP\r\nFROBNICATE\r\nSTOP\r\nLIST');
  const r = await decoded((await nth(`dave@${D}`, RESULT)).content);
  t.match(r, /ARTICLE INDEX \[ALL\|n\|n-m\]/);
  t.match(r, /^> \?\r?\nNot understood \(send HELP/m, 'an unknown line is answered without being quoted');
  t.notMatch(r, /FROBNICATE/, 'no text of the request comes back');
  t.notMatch(r, /> LIST/, 'nothing after STOP ran');
  t.match(r, /^Auto-Submitted: auto-replied\r$/m);
  t.match(r, /^From: test-request@example\.test\r$/m);
});

t.test('JOIN needs the confirmation of the address; a forged JOIN for someone else does nothing', async (t) => {
  await send(`dave@${D}`, `test-request@${D}`, `JOIN test eve@${D}`);
  t.match(await decoded((await nth(`dave@${D}`, RESULT, 2)).content), /Pending: a confirmation request was sent to eve@example\.test/);
  const ask = await nth(`eve@${D}`, /Subject: Confirm JOIN test: [0-9a-f]{24}/);
  t.notOk(await app.store.lists!.isMember('test', `eve@${D}`), 'not a member before confirming');
  // dave joins himself and confirms by replying to the request (token in the Subject)
  await send(`dave@${D}`, `test-request@${D}`, 'SUBSCRIBE');
  const mine = await nth(`dave@${D}`, /Subject: Confirm JOIN test:/);
  const token = /Confirm JOIN test: ([0-9a-f]{24})/.exec(mine.content)![1];
  await send(`dave@${D}`, `test-request@${D}`, '> quoted text is not a command', `Re: Confirm JOIN test: ${token}`);
  t.match(await decoded((await nth(`dave@${D}`, RESULT, 4)).content), /OK: dave@example\.test joined test/);
  t.ok(await app.store.lists!.isMember('test', `dave@${D}`));
  await send(`dave@${D}`, `test-request@${D}`, `CONFIRM ${token}`);
  t.match(await decoded((await nth(`dave@${D}`, RESULT, 5)).content), /wrong or expired confirmation token/, 'a token works once');
  t.notOk(await app.store.lists!.isMember('test', `eve@${D}`), 'eve never confirmed');
  t.ok(ask);
});

t.test('LEAVE with confirmation; JOIN of a member is refused with the reason', async (t) => {
  await send(`bob@${D}`, `test-request@${D}`, 'JOIN\r\nUNSUBSCRIBE');
  const r = await decoded((await nth(`bob@${D}`, RESULT)).content);
  t.match(r, /Not done: bob@example\.test is a member of test already/);
  t.match(r, /Pending: a confirmation request/);
  const ask = await nth(`bob@${D}`, /Subject: Confirm LEAVE test:/);
  const token = /Confirm LEAVE test: ([0-9a-f]{24})/.exec(ask.content)![1];
  await send(`bob@${D}`, `test-request@${D}`, `CONFIRM ${token}`);
  t.match(await decoded((await nth(`bob@${D}`, RESULT, 2)).content), /OK: bob@example\.test left test/);
  t.notOk(await app.store.lists!.isMember('test', `bob@${D}`));
});

t.test('admin keys: LIST needs the admin and a KEYGEN key in the Subject; keys expire', async (t) => {
  await send(`alice@${D}`, `test-request@${D}`, 'LIST');
  t.match(await decoded((await nth(`alice@${D}`, RESULT)).content), /LIST is for the list admin only/);
  await send(ADMIN, `test-request@${D}`, 'LIST');
  t.match(await decoded((await nth(ADMIN, RESULT)).content), /LIST needs a valid admin key/);
  await send(ADMIN, `test-request@${D}`, 'KEYGEN');
  const keyMail = await decoded((await nth(ADMIN, /Subject: Admin key for test/)).content);
  const key = /admin key is ([0-9a-f]{12})/.exec(keyMail)![1];
  t.match(keyMail, /valid for 5 minute/);
  await send(ADMIN, `test-request@${D}`, 'LIST', `key ${key}`);
  const list = await decoded((await nth(ADMIN, RESULT, 3)).content);
  t.match(list, /Alice <alice@example\.test>/, 'the member file format');
  t.match(list, /dave@example\.test/);
  await app.store.lists!.addKey('test', 'deadbeef0001', new Date(Date.now() - 1000));
  await send(ADMIN, `test-request@${D}`, 'LIST', 'key deadbeef0001');
  t.match(await decoded((await nth(ADMIN, RESULT, 4)).content), /LIST needs a valid admin key/, 'an expired key is refused');
  await send(`alice@${D}`, `test-request@${D}`, 'KEYGEN');
  t.match(await decoded((await nth(`alice@${D}`, RESULT, 2)).content), /KEYGEN is for the list admin only/);
  t.equal(await count(`alice@${D}`, /Admin key for/), 0, 'keys go to the admin only');
  // the admin with a key adds someone at once
  await send(ADMIN, `test-request@${D}`, `JOIN test eve@${D}`, `add eve ${key}`);
  t.match(await decoded((await nth(ADMIN, RESULT, 5)).content), /OK: eve@example\.test joined test/);
});

t.test('archive: ARTICLE INDEX / LIST / DELETE with ALL, n and n-m', async (t) => {
  for (const s of ['first post', 'second post', 'third post']) await send(`alice@${D}`, `test@${D}`, 'text', s);
  await waitFor('3 articles', async () => (await app.store.lists!.articles('test')).length === 3);
  await send(`alice@${D}`, `test-request@${D}`, 'ARTICLE INDEX 2-3\r\nARTICLE INDEX 1');
  const idx = await decoded((await nth(`alice@${D}`, RESULT, 3)).content);
  t.match(idx, /^2\t\S+\talice@example\.test\t\[test 002\] second post$/m);
  t.match(idx, /^3\t.*\[test 003\] third post$/m);
  t.notMatch(idx, /^1\t.*\[test 001\] first post$/m, 'one ARTICLE a mail');
  t.match(idx, /Not done: one ARTICLE command a mail/);
  await send(`alice@${D}`, `test-request@${D}`, 'ARTICLE LIST 2');
  const got = await nth(`alice@${D}`, RESULT, 4);
  t.match(got.content, /Content-Type: message\/rfc822; name=2\.eml/);
  t.match(got.content, /Subject: \[test 002\] second post/, 'the archived post is attached');
  await send(`alice@${D}`, `test-request@${D}`, 'ARTICLE DELETE ALL');
  t.match(await decoded((await nth(`alice@${D}`, RESULT, 5)).content), /ARTICLE DELETE is for the list admin only/);
  await send(ADMIN, `test-request@${D}`, 'KEYGEN');
  const key = /admin key is ([0-9a-f]{12})/.exec(await decoded((await nth(ADMIN, /Admin key for test/, 2)).content))![1];
  await send(ADMIN, `test-request@${D}`, 'ARTICLE DELETE 1-2', `delete ${key}`);
  await waitFor('deleted', async () => (await app.store.lists!.articles('test')).length === 1);
  t.same((await app.store.lists!.articles('test')).map((a) => a.n), [3]);
});

t.test('JOIN forwarded to the admin for approval', async (t) => {
  await send(`dave@${D}`, `club-request@${D}`, 'JOIN');
  t.match(await decoded((await nth(`dave@${D}`, /Result of your commands to club/)).content), /forwarded to the list admin/);
  const ask = await nth(ADMIN, /Subject: Approve JOIN club: [0-9a-f]{24}/);
  t.notOk(await app.store.lists!.isMember(`club@${D}`, `dave@${D}`));
  const token = /Approve JOIN club: ([0-9a-f]{24})/.exec(ask.content)![1];
  await send(`dave@${D}`, `club-request@${D}`, `CONFIRM ${token}`);
  t.match(await decoded((await nth(`dave@${D}`, /Result of your commands to club/, 2)).content), /for the list admin only/, 'the requester cannot approve himself');
  await send(ADMIN, `club-request@${D}`, `CONFIRM ${token}`);
  await waitFor('dave in club', () => app.store.lists!.isMember(`club@${D}`, `dave@${D}`));
  t.match(await decoded((await nth(`dave@${D}`, /Result of your commands to club/, 3)).content), /OK: dave@example\.test joined club/, 'the member is told');
});

t.test('without confirmation a JOIN is immediate; no-answer lists run commands silently', async (t) => {
  await send(`eve@${D}`, `plain-request@${D}`, 'JOIN');
  await waitFor('eve in plain', () => app.store.lists!.isMember(`plain@${D}`, `eve@${D}`));
  await send(`eve@${D}`, `silent-request@${D}`, 'JOIN');
  await waitFor('eve in silent', () => app.store.lists!.isMember(`silent@${D}`, `eve@${D}`));
  await send(`eve@${D}`, `plain-request@${D}`, 'HELP');
  await nth(`eve@${D}`, /Result of your commands to plain/, 2);
  t.equal(await count(`eve@${D}`, /Result of your commands to silent/), 0);
});

t.test('command mail that is automatic is never answered', async (t) => {
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`test-request@${D}`], body: `From: alice@${D}\r\nSubject: auto\r\nAuto-Submitted: auto-replied\r\n\r\nHELP\r\n` });
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`test-request@${D}`], body: `From: alice@${D}\r\nSubject: other list\r\nList-Id: <x.other.test>\r\n\r\nHELP\r\n` });
  const before = await count(`alice@${D}`, RESULT);
  await send(`alice@${D}`, `test-request@${D}`, 'HELP');
  await nth(`alice@${D}`, RESULT, before + 1);
  t.equal(await count(`alice@${D}`, RESULT), before + 1, 'only the normal command mail was answered');
});
