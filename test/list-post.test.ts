/**
 * ML-1 / ML-2 / ML-5 over real SMTP: a list of 3 local and 2 remote members (the remote ones
 * received by a gateway peer on loopback), the subject tag counter without doubling on
 * replies, Reply-To and the list headers, who may post, loop guards, the post password.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { commonPort, startPeer, submit, waitFor, type Peer } from './helpers/sink.ts';
import { smtpSteps } from './helpers/smtp-script.ts';
import { registerListAddon } from '../plugins/mailing-list/addons.ts';

// the seed's per-list DLL: add-ons registered by name (another plugin would do this in its setup)
registerListAddon('footer', ({ content, n }) => ({ content: Buffer.concat([content, Buffer.from(`-- \r\npost ${n} of the footer list\r\n`)]) }));
registerListAddon('no-ads', ({ content }) => (/BUY NOW/.test(content.toString()) ? { drop: 'advertising' } : undefined));

let app: TestAppliance;
let peer: Peer;
const D = 'example.test';

t.before(async () => {
  const port = await commonPort(['127.0.0.31']);
  peer = await startPeer('127.0.0.31', port);
  app = await startTestAppliance({
    smtp: { auth: { allowInsecure: true } },
    delivery: { pollMs: 100, gateway: `127.0.0.31:${port}` },
    plugins: [{ name: 'mailing-list', options: { lists: [
      { name: 'test', subjectTag: '[test %03d]', archive: true },
      { name: `admins-only@${D}`, posters: 'admin', admin: `boss@${D}` },
      { name: `quiet@${D}`, noAnswer: true, refusalNotice: true },
      { name: `noticed@${D}`, refusalNotice: true },
      { name: `secret@${D}`, postPassword: 'post-pw', replyTo: false, listHeaders: false },
      { name: `errs@${D}`, posters: 'anyone', errorsTo: 'poster', subjectTag: '[e %02d]', counter: 98 },
      { name: `footer@${D}`, posters: 'anyone', addons: ['no-ads', 'footer'] },
    ] } }],
  });
  await seedAccounts(app, D, ['alice', 'bob', 'carol', 'dave', 'boss']);
  const members = [`alice@${D}`, `Bob@${D}`, `carol@${D}`, 'r1@remote.test', 'r2@other.test'].map((address) => ({ address, name: '' }));
  for (const l of ['test', `admins-only@${D}`, `quiet@${D}`, `noticed@${D}`, `secret@${D}`, `errs@${D}`, `footer@${D}`]) await app.store.lists!.replaceMembers(l, members);
});
t.teardown(async () => {
  await app?.close();
  await peer?.close();
});

const mailTo = (box: string, pattern: RegExp) => waitFor(`${pattern} in ${box}`, async () => (await inbox(app, box)).find((m) => pattern.test(m.content)));
const atPeer = (pattern: RegExp) => peer.messages.filter((m) => pattern.test(m.content.toString()));

t.test('a member posts: every member gets one copy, tagged, with Reply-To and the list headers', async (t) => {
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`test@${D}`], subject: 'hello list' });
  for (const who of ['alice', 'bob', 'carol']) {
    const m = await mailTo(`${who}@${D}`, /hello list/);
    t.match(m.content, /^Subject: \[test 001\] hello list\r$/m, `${who}: tagged subject`);
    t.match(m.content, /^Reply-To: <test@example\.test>\r$/m);
    t.match(m.content, /^List-Id: <test\.example\.test>\r$/m, 'RFC 2919');
    t.match(m.content, /^List-Unsubscribe: <mailto:test-request@example\.test\?body=LEAVE>\r$/m, 'RFC 2369');
    t.match(m.content, /^List-Post: <mailto:test@example\.test>\r$/m);
    t.match(m.content, /^List-Archive: <mailto:test-request@example\.test\?body=ARTICLE%20INDEX>\r$/m);
    t.match(m.content, /^X-Mail-Count: 1\r$/m);
    t.match(m.content, /^Precedence: list\r$/m);
  }
  await waitFor('both remote members', () => atPeer(/hello list/).flatMap((m) => m.to).length === 2);
  const remote = atPeer(/hello list/);
  t.same(remote.flatMap((m) => m.to).sort(), ['r1@remote.test', 'r2@other.test']);
  t.ok(remote.every((m) => m.from === ''), 'errorsTo nobody: the null sender');
  t.match(remote[0].content.toString(), /Subject: \[test 001\] hello list/);
  t.equal((await inbox(app, `bob@${D}`)).length, 1, 'Bob@ (other case) got exactly one copy');
});

t.test('a reply keeps one tag and gets the next number', async (t) => {
  await submit(app.smtpPort, { from: `bob@${D}`, to: [`test@${D}`], subject: 'Re: [test 001] hello list' });
  const m = await mailTo(`carol@${D}`, /X-Mail-Count: 2/);
  t.match(m.content, /^Subject: \[test 002\] Re: hello list\r$/m);
  await submit(app.smtpPort, { from: `carol@${D}`, to: [`test@${D}`], subject: 'Re: Re: [test 002] Re: hello list' });
  const m3 = await mailTo(`alice@${D}`, /X-Mail-Count: 3/);
  t.match(m3.content, /^Subject: \[test 003\] Re: hello list\r$/m, 'never doubled');
});

t.test('the counter starts from the configured value and wraps at the width', async (t) => {
  await submit(app.smtpPort, { from: `dave@${D}`, to: [`errs@${D}`], subject: 'first' });
  t.match((await mailTo(`alice@${D}`, /first/)).content, /^Subject: \[e 99\] first\r$/m);
  await submit(app.smtpPort, { from: `dave@${D}`, to: [`errs@${D}`], subject: 'second' });
  t.match((await mailTo(`alice@${D}`, /second/)).content, /^Subject: \[e 00\] second\r$/m, '100 wraps to 00');
  await waitFor('remote copies', () => atPeer(/second/).length >= 1);
  t.ok(atPeer(/second/).every((m) => m.from === `dave@${D}`), 'errorsTo poster: the poster is the envelope sender');
});

t.test('who may post: a non-member is refused in the session (or with a notice); admin-only lists; no answer mode', async (t) => {
  const stranger = await smtpSteps(app.smtpPort, [['cmd', `MAIL FROM:<dave@${D}>`], ['cmd', `RCPT TO:<test@${D}>`]]);
  t.equal(stranger[1][0], 550, 'a non-member is refused at RCPT');
  t.match(stranger[1][1], /only members may post/);
  const notAdmin = await smtpSteps(app.smtpPort, [['cmd', `MAIL FROM:<alice@${D}>`], ['cmd', `RCPT TO:<admins-only@${D}>`]]);
  t.equal(notAdmin[1][0], 550);
  t.match(notAdmin[1][1], /only the list admin may post/);
  await submit(app.smtpPort, { from: `boss@${D}`, to: [`admins-only@${D}`], subject: 'from the boss' });
  await mailTo(`carol@${D}`, /from the boss/);
  // refusalNotice: the original's way, accepted and answered with a notice
  await submit(app.smtpPort, { from: `dave@${D}`, to: [`noticed@${D}`], subject: 'from a stranger' });
  const notice = await mailTo(`dave@${D}`, /noticed was not distributed/);
  t.match(notice.content, /only members may post/);
  t.match(notice.content, /^Auto-Submitted: auto-replied\r$/m);
  await submit(app.smtpPort, { from: `dave@${D}`, to: [`quiet@${D}`], subject: 'into the quiet list' });
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`quiet@${D}`], subject: 'quiet marker' });
  await mailTo(`bob@${D}`, /quiet marker/);
  t.notOk((await inbox(app, `bob@${D}`)).some((m) => /stranger|into the quiet/.test(m.content)), 'refused posts reached nobody');
  t.notOk((await inbox(app, `dave@${D}`)).some((m) => /quiet was not/.test(m.content)), 'do-not-answer: no notice');
});

t.test('loops: auto-replies, bounces and the list\'s own traffic are not distributed', async (t) => {
  const before = (await inbox(app, `carol@${D}`)).length;
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`test@${D}`], body: `From: alice@${D}\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\naway\r\n` });
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`test@${D}`], body: `From: alice@${D}\r\nSubject: looped\r\nList-Id: <test.example.test>\r\n\r\nx\r\n` });
  await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<>'], ['cmd', `RCPT TO:<test@${D}>`], ['data', 'Subject: bounce\r\n\r\nx\r\n']]);
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`test@${D}`], subject: 'loop marker' });
  await mailTo(`carol@${D}`, /loop marker/);
  t.equal((await inbox(app, `carol@${D}`)).length, before + 1, 'only the normal post arrived');
});

t.test('post password: SMTP AUTH (own account or ID = list name) is required', async (t) => {
  const anon = await smtpSteps(app.smtpPort, [['cmd', `MAIL FROM:<dave@${D}>`], ['cmd', `RCPT TO:<secret@${D}>`]]);
  t.equal(anon[1][0], 530, 'refused without AUTH');
  const own = await smtpSteps(app.smtpPort, [['login', `alice@${D}`, 'pw-alice'], ['cmd', `MAIL FROM:<alice@${D}>`], ['cmd', `RCPT TO:<secret@${D}>`],
    ['data', `From: alice@${D}\r\nSubject: authed post\r\n\r\nx\r\n`]]);
  t.equal(own[3][0], 250, 'a member authenticated as herself');
  const m = await mailTo(`bob@${D}`, /authed post/);
  t.notMatch(m.content, /List-Id:|Reply-To:/, 'replyTo and listHeaders off');
  const wrong = await smtpSteps(app.smtpPort, [['login', `secret@${D}`, 'not-it']]);
  t.equal(wrong[0][0], 535, 'a wrong post password is refused');
  const byList = await smtpSteps(app.smtpPort, [['login', `secret@${D}`, 'post-pw'], ['cmd', `MAIL FROM:<dave@${D}>`],
    ['cmd', 'RCPT TO:<someone@remote.test>'], ['cmd', `RCPT TO:<secret@${D}>`], ['data', `From: dave@${D}\r\nSubject: list-id post\r\n\r\nx\r\n`]]);
  t.equal(byList[0][0], 235, 'ID = list name, password = post password');
  t.equal(byList[2][0], 554, 'the list login does not relay');
  t.equal(byList[4][0], 250);
  await mailTo(`bob@${D}`, /list-id post/);
  t.pass('a non-member with the post password posts');
});

t.test('unknown addresses are still refused, the list names are not', async (t) => {
  const r = await smtpSteps(app.smtpPort, [['cmd', `MAIL FROM:<alice@${D}>`], ['cmd', `RCPT TO:<nolist@${D}>`], ['cmd', `RCPT TO:<test@${D}>`],
    ['cmd', `RCPT TO:<test-request@${D}>`], ['cmd', 'RCPT TO:<test@unhosted.test>']]);
  t.same(r.slice(1, 4).map((x) => x[0]), [550, 250, 250]);
  t.not(r[4][0], 250, 'a global list exists only at hosted domains');
});

t.test('add-ons (the seed\'s DLL step) change or drop a post', async (t) => {
  await submit(app.smtpPort, { from: `dave@${D}`, to: [`footer@${D}`], body: `From: dave@${D}\r\nSubject: ad\r\n\r\nBUY NOW\r\n` });
  await submit(app.smtpPort, { from: `dave@${D}`, to: [`footer@${D}`], subject: 'with footer' });
  const m = await mailTo(`carol@${D}`, /with footer/);
  t.match(m.content, /Hello there\.\r\n-- \r\npost 2 of the footer list\r\n$/, 'the footer add-on ran, numbered');
  t.notOk((await inbox(app, `carol@${D}`)).some((x) => /BUY NOW/.test(x.content)), 'the dropped post went nowhere');
});
