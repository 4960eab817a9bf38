/**
 * One-click unsubscribe tokens never expired and still worked after the
 * member had left and joined again. Now a token names the subscription it was made for and
 * the time it was made: an old link (older than oneClickDays) and a link of an earlier
 * subscription are refused over HTTPS (410) and remove nobody; a current link still works.
 */
import t from 'tap';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { startTestAppliance, seedAccounts, tempDir, type TestAppliance } from '../helpers/appliance.ts';
import { smtpSteps } from '../helpers/smtp-script.ts';
import { UnsubscribeTokens } from '../../plugins/mailing-list/unsubscribe-token.ts';
import { ONE_CLICK_PREFIX } from '../../plugins/mailing-list/one-click.ts';

const D = 'example.test';
const LIST = `oc@${D}`;
const data = tempDir();
let app: TestAppliance;
let ca: Buffer;

t.before(async () => {
  app = await startTestAppliance({
    plugins: [{ name: 'mailing-list', options: { lists: [{ name: LIST, posters: 'anyone', bounceLimit: 3, oneClickDays: 30 }] } }],
  }, data);
  ca = fs.readFileSync(path.join(data, 'tls', 'self-signed-cert.pem'));
  await seedAccounts(app, D, ['alice']);
  await app.store.lists!.replaceMembers(LIST, ['bob@remote.test', 'carol@remote.test'].map((address) => ({ address, name: '' })));
});
t.teardown(() => app?.close());

function post(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end('List-Unsubscribe=One-Click');
  });
}

/** Posts to the list and returns the one-click URL of `member`'s queued copy (delivery is off). */
async function linkFor(member: string, subject: string): Promise<string> {
  const r = await smtpSteps(app.smtpPort, [['cmd', `MAIL FROM:<alice@${D}>`], ['cmd', `RCPT TO:<${LIST}>`], ['data', `From: alice@${D}\r\nSubject: ${subject}\r\n\r\nx\r\n`]]);
  if (r[2][0] !== 250) throw new Error(`post refused: ${JSON.stringify(r)}`);
  for (const e of await app.store.queue.list()) {
    if (!e.recipients.some((x) => x.recipient === member)) continue;
    const text = (await app.store.queue.read(e.blobId)).toString('latin1');
    if (!text.includes(`Subject: ${subject}`)) continue;
    const m = /<(https:\/\/[^>]+)>/.exec(text.replace(/\r\n[ \t]+/g, ' '));
    if (m) return m[1];
  }
  throw new Error(`no one-click link for ${member}`);
}

const isMember = (a: string) => app.store.lists!.isMember(LIST, a);

t.test('a link of an earlier subscription removes nobody after the member joined again', async (t) => {
  const old = await linkFor('bob@remote.test', 'first post');
  await app.store.lists!.removeMember(LIST, 'bob@remote.test');
  await app.store.lists!.addMember(LIST, { address: 'bob@remote.test', name: '' });
  const r = await post(old);
  t.equal(r.status, 410, 'refused');
  t.match(r.body, /earlier subscription/);
  t.ok(await isMember('bob@remote.test'), 'bob, who joined again, stays');
  const current = await linkFor('bob@remote.test', 'second post');
  t.equal((await post(current)).status, 200, 'the link of the current subscription works');
  t.notOk(await isMember('bob@remote.test'));
});

t.test('a link older than oneClickDays is refused', async (t) => {
  const current = await linkFor('carol@remote.test', 'third post');
  const base = current.slice(0, current.indexOf(ONE_CLICK_PREFIX) + ONE_CLICK_PREFIX.length);
  // a link as a post 31 days ago carried it (made with this appliance's own key)
  const subscription = (await app.store.lists!.memberId(LIST, 'carol@remote.test'))!;
  const token = new UnsubscribeTokens(data).issue({ list: LIST, domain: D, member: 'carol@remote.test', subscription }, new Date(Date.now() - 31 * 24 * 3600_000));
  const r = await post(base + token);
  t.equal(r.status, 410);
  t.match(r.body, /expired/);
  t.ok(await isMember('carol@remote.test'), 'carol stays');
});
