/**
 * ML-5 bounce processing end to end: a list with bounceLimit sends each copy with a VERP
 * envelope sender; the gateway peer refuses one remote member with 550, so the delivery engine
 * bounces to the VERP address, which the list counts. At the limit the member is disabled (the
 * CLI shows it), the admin is told, and later posts skip it; errorsTo still gets each report.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, tempDir, type TestAppliance } from './helpers/appliance.ts';
import { commonPort, smtpError, startPeer, submit, waitFor, type Peer } from './helpers/sink.ts';
import { listsConfig, runCli } from './helpers/cli.ts';

let app: TestAppliance;
let peer: Peer;
const D = 'example.test';
const data = tempDir();
// the CLI reads the lists from a config file (this appliance was given its config as an object)
const cliConfig = listsConfig(tempDir(), [`bl@${D}`, `asfrom@${D}`, `bp@${D}`]);

t.before(async () => {
  const port = await commonPort(['127.0.0.32']);
  peer = await startPeer('127.0.0.32', port, { onRcpt: (a) => (a === 'gone@remote.test' ? smtpError(550, '5.1.1 no such user') : null) });
  app = await startTestAppliance({
    delivery: { pollMs: 100, gateway: `127.0.0.32:${port}` },
    plugins: [{ name: 'mailing-list', options: { lists: [
      { name: `bl@${D}`, posters: 'anyone', bounceLimit: 2, admin: `boss@${D}`, errorsTo: `errors@${D}` },
      { name: `asfrom@${D}`, posters: 'anyone', fromIsList: true },
      { name: `bp@${D}`, posters: 'anyone', bounceLimit: 5, errorsTo: 'poster' },
    ] } }],
  }, data);
  await seedAccounts(app, D, ['alice', 'boss', 'errors']);
  await app.store.lists!.replaceMembers(`bp@${D}`, [{ address: 'gone@remote.test', name: '' }]);
  await app.store.lists!.replaceMembers(`asfrom@${D}`, [{ address: `boss@${D}`, name: '' }]);
  await app.store.lists!.replaceMembers(`bl@${D}`, [`alice@${D}`, 'ok@remote.test', 'gone@remote.test'].map((address) => ({ address, name: '' })));
});
t.teardown(async () => {
  await app?.close();
  await peer?.close();
});

const bounces = async () => (await app.store.lists!.members(`bl@${D}`)).find((m) => m.address === 'gone@remote.test')!;

t.test('VERP envelope senders, bounces counted, the member disabled at the limit', async (t) => {
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`bl@${D}`], subject: 'post one' });
  const first = await waitFor('copy at the peer', () => peer.messages.find((m) => /post one/.test(m.content.toString())));
  t.equal(first.from, `bl-bounce+ok=remote.test@${D}`, 'the copy carries its member in the envelope sender');
  t.same(first.to, ['ok@remote.test'], 'one member a copy');
  await waitFor('first bounce counted', async () => (await bounces()).bounces === 1);
  t.notOk((await bounces()).disabled, 'under the limit: still enabled');
  await waitFor('the report forwarded to errorsTo', async () => (await inbox(app, `errors@${D}`)).find((m) => /gone@remote\.test/.test(m.content)));

  await submit(app.smtpPort, { from: `alice@${D}`, to: [`bl@${D}`], subject: 'post two' });
  await waitFor('second bounce: disabled', async () => (await bounces()).disabled);
  t.equal((await bounces()).bounces, 2);
  const notice = await waitFor('admin told', async () => (await inbox(app, `boss@${D}`)).find((m) => /disabled/.test(m.content)));
  t.match(notice.content, /gone@remote\.test/);
  const cli = await runCli(['list', 'members', `bl@${D}`, '--data', data, '--config', cliConfig]);
  t.equal(cli.code, 0, cli.stderr);
  t.match(cli.stdout, /^gone@remote\.test {2}# disabled after 2 bounces/m, 'the CLI marks the disabled member');
  t.match(cli.stdout, /^ok@remote\.test$/m);

  await submit(app.smtpPort, { from: `alice@${D}`, to: [`bl@${D}`], subject: 'post three' });
  await waitFor('post three at ok@', () => peer.messages.find((m) => /post three/.test(m.content.toString())));
  await waitFor('post three for alice', async () => (await inbox(app, `alice@${D}`)).find((m) => /post three/.test(m.content)));
  await new Promise((r) => setTimeout(r, 500));
  t.equal((await bounces()).bounces, 2, 'a disabled member is sent nothing, so nothing bounces');

  // adding the member again enables it
  t.equal((await runCli(['list', 'add', `bl@${D}`, 'gone@remote.test', '--data', data, '--config', cliConfig])).code, 0);
  t.match(await bounces(), { address: 'gone@remote.test', name: '', bounces: 0, disabled: false });
});

t.test('mail to a VERP address that is not a report counts nothing', async (t) => {
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`bl-bounce+ok=remote.test@${D}`], subject: 'forged' });
  await new Promise((r) => setTimeout(r, 300));
  t.equal((await app.store.lists!.members(`bl@${D}`)).find((m) => m.address === 'ok@remote.test')!.bounces, 0);
});

t.test('a report from a remote server over SMTP (null sender) counts too', async (t) => {
  await submit(app.smtpPort, { from: '', to: [`bl-bounce+ok=remote.test@${D}`], body: 'From: MAILER-DAEMON@remote.test\r\nSubject: Undelivered Mail\r\n\r\nmailbox full\r\n' });
  await waitFor('counted', async () => (await app.store.lists!.members(`bl@${D}`)).find((m) => m.address === 'ok@remote.test')!.bounces === 1);
  t.pass('counted for ok@remote.test');
});

t.test('fromIsList (the seed\'s "FROM" flag): copies are From the list, the author in X-Original-From', async (t) => {
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`asfrom@${D}`], body: `From: Alice <alice@${D}>\r\nSubject: as list\r\n\r\nbody\r\n` });
  const m = await waitFor('copy for boss', async () => (await inbox(app, `boss@${D}`)).find((x) => /as list/.test(x.content)));
  t.match(m.content, /^From: asfrom <asfrom@example\.test>\r$/m);
  t.match(m.content, /^X-Original-From: Alice <alice@example\.test>\r$/m);
  t.equal(m.content.match(/^From:/gm)?.length, 1, 'one From:');
});

t.test('errorsTo poster: the report counted, then passed on to the author of the post', async (t) => {
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`bp@${D}`], body: `From: Alice <alice@${D}>\r\nSubject: poster errs\r\n\r\nbody\r\n` });
  const m = await waitFor('report for alice', async () => (await inbox(app, `alice@${D}`)).find((x) => /multipart\/report/.test(x.content) && /poster errs/.test(x.content)));
  t.match(m.content, /gone@remote\.test/);
  t.equal((await app.store.lists!.members(`bp@${D}`))[0].bounces, 1);
});
