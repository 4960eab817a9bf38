/**
 * RFC 8058 one-click unsubscribe over real SMTP and real HTTPS: a post to a list with per-member
 * copies (VERP) carries, per member, `List-Unsubscribe: <mailto:…>, <https://…/TOKEN>` and
 * `List-Unsubscribe-Post: List-Unsubscribe=One-Click`; POSTing the URL from the delivered
 * header (Node's https, and curl with multipart/form-data) removes that member at once, GET
 * only shows a form, forged tokens are refused, and the next post does not reach the member.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { startTestAppliance, seedAccounts, inbox, tempDir, type TestAppliance } from './helpers/appliance.ts';
import { commonPort, startPeer, submit, waitFor, type Peer } from './helpers/sink.ts';
import { fields, splitMessage } from '../plugins/mailing-list/headers.ts';
import { KEY_FILE } from '../plugins/mailing-list/unsubscribe-token.ts';

let app: TestAppliance;
let peer: Peer;
let ca: Buffer;
const D = 'example.test';
const data = tempDir();

t.before(async () => {
  const port = await commonPort(['127.0.0.61']);
  peer = await startPeer('127.0.0.61', port);
  app = await startTestAppliance({
    delivery: { pollMs: 100, gateway: `127.0.0.61:${port}` },
    plugins: [{ name: 'mailing-list', options: { lists: [
      { name: `oc@${D}`, posters: 'anyone', bounceLimit: 3, admin: `boss@${D}`, leaveToAdmin: true },
      { name: `plain@${D}`, posters: 'anyone' },
    ] } }],
  }, data);
  ca = fs.readFileSync(path.join(data, 'tls', 'self-signed-cert.pem'));
  await seedAccounts(app, D, ['alice', 'boss']);
  await app.store.lists!.replaceMembers(`oc@${D}`, [`alice@${D}`, 'bob@remote.test', 'carol@remote.test', 'dave@remote.test'].map((address) => ({ address, name: '' })));
  await app.store.lists!.replaceMembers(`plain@${D}`, [{ address: 'bob@remote.test', name: '' }]);
});
t.teardown(async () => {
  await app?.close();
  await peer?.close();
});

/** The unfolded header fields of a message, by lower-case name. */
function headersOf(content: Buffer | string): Map<string, string> {
  const buf = typeof content === 'string' ? Buffer.from(content, 'latin1') : content;
  return new Map(fields(splitMessage(buf).head).map((f) => [f.name.toLowerCase(), f.value]));
}

const copyAtPeer = (member: string, subject: string) =>
  waitFor(`${subject} for ${member}`, () => peer.messages.find((m) => m.to.includes(member) && m.content.toString().includes(subject)));

/** The https URI of a List-Unsubscribe value (RFC 2369: a comma-separated list of <URI>). */
const httpsUri = (value: string) => [...value.matchAll(/<([^>]+)>/g)].map((m) => m[1]).find((u) => u.startsWith('https://'));

function request(url: string, o: { method?: string; body?: string; type?: string } = {}): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: o.method ?? 'GET', ca, headers: o.type ? { 'content-type': o.type } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const oneClick = (url: string) => request(url, { method: 'POST', body: 'List-Unsubscribe=One-Click', type: 'application/x-www-form-urlencoded' });
const isMember = (a: string) => app.store.lists!.isMember(`oc@${D}`, a);

const urls: Record<string, string> = {};

t.test('each copy carries its member\'s one-click link next to the mailto', async (t) => {
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`oc@${D}`], subject: 'first post' });
  for (const m of ['bob@remote.test', 'carol@remote.test', 'dave@remote.test']) {
    const h = headersOf((await copyAtPeer(m, 'first post')).content);
    const lu = h.get('list-unsubscribe')!;
    t.match(lu, new RegExp(`^<mailto:oc-request@${D.replace('.', '\\.')}\\?body=LEAVE>, <https://`), `${m}: mailto first, then https`);
    t.equal(h.get('list-unsubscribe-post'), 'List-Unsubscribe=One-Click', `${m}: RFC 8058 §3.1 field`);
    urls[m] = httpsUri(lu)!;
    t.ok(urls[m].startsWith(`${app.httpsUrl}/list/unsubscribe/`), urls[m]);
  }
  t.equal(new Set(Object.values(urls)).size, 3, 'a link per member');
  const local = await waitFor('alice\'s copy', async () => (await inbox(app, `alice@${D}`)).find((m) => /first post/.test(m.content)));
  urls.alice = httpsUri(headersOf(local.content).get('list-unsubscribe')!)!;
  t.ok(urls.alice && !Object.values(urls).slice(0, 3).includes(urls.alice), 'the local member has her own link too');
  const key = fs.statSync(path.join(data, KEY_FILE));
  t.equal(key.mode & 0o777, 0o600, 'the token key is made 0600 in the data directory');
});

t.test('a list without per-member copies keeps the mailto only (no List-Unsubscribe-Post)', async (t) => {
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`plain@${D}`], subject: 'shared copy' });
  const h = headersOf((await copyAtPeer('bob@remote.test', 'shared copy')).content);
  t.equal(h.get('list-unsubscribe'), `<mailto:plain-request@${D}?body=LEAVE>`);
  t.notOk(h.has('list-unsubscribe-post'), 'RFC 8058 §3.1: no Post field without an HTTPS URI for the recipient');
});

t.test('GET shows a form and unsubscribes nobody (link scanners)', async (t) => {
  for (const method of ['GET', 'HEAD']) {
    const r = await request(urls['bob@remote.test'], { method });
    t.equal(r.status, 200, method);
    t.match(r.type, /^text\/html/);
  }
  const page = await request(urls['bob@remote.test']);
  t.match(page.body, /<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">/);
  t.match(page.body, /bob@remote\.test/);
  t.ok(await isMember('bob@remote.test'), 'still a member after GET and HEAD');
});

t.test('forged, damaged and wrong requests are refused and change nothing', async (t) => {
  const url = urls['bob@remote.test'];
  const token = url.slice(url.lastIndexOf('/') + 1);
  const [payload, mac] = token.split('.');
  // carol's payload with bob's mac: the mac does not fit
  const carolPayload = Buffer.from(Buffer.from(payload, 'base64url').toString().replace('bob@', 'carol@')).toString('base64url');
  for (const bad of [`${carolPayload}.${mac}`, `${payload}.${mac.slice(0, -2)}AA`, 'garbage', `${payload}`]) {
    const r = await oneClick(`${app.httpsUrl}/list/unsubscribe/${bad}`);
    t.equal(r.status, 400, bad);
    t.match(r.body, /unsubscribe link is not valid/);
  }
  const wrongBody = await request(url, { method: 'POST', body: 'List-Unsubscribe=Yes', type: 'application/x-www-form-urlencoded' });
  t.equal(wrongBody.status, 400);
  t.match(wrongBody.body, /List-Unsubscribe=One-Click \(RFC 8058 section 3\.2\)/);
  t.equal((await request(url, { method: 'POST', body: 'List-Unsubscribe=One-Click', type: 'text/plain' })).status, 400, 'other content types are refused');
  t.equal((await request(url, { method: 'DELETE' })).status, 405);
  t.ok(await isMember('bob@remote.test'));
  t.ok(await isMember('carol@remote.test'));
});

t.test('POST removes the member at once; again says so; the admin is told', async (t) => {
  const r = await oneClick(urls['bob@remote.test']);
  t.equal(r.status, 200);
  t.match(r.body, /bob@remote\.test was removed from oc@example\.test/);
  t.notOk(await isMember('bob@remote.test'), 'gone from the ListStore');
  const again = await oneClick(urls['bob@remote.test']);
  t.equal(again.status, 200);
  t.match(again.body, /was already removed/);
  const notice = await waitFor('admin notice', async () => (await inbox(app, `boss@${D}`)).find((m) => /one-click/.test(m.content)));
  t.match(notice.content, /bob@remote\.test left oc@example\.test/);
  t.match((await request(urls['bob@remote.test'])).body, /not a member/, 'the page says so afterwards');
});

t.test('curl POSTs multipart/form-data as a mailbox provider may (RFC 8058 §3.2)', async (t) => {
  const out = await new Promise<string>((resolve, reject) => execFile('curl', ['-sS', '--cacert', path.join(data, 'tls', 'self-signed-cert.pem'),
    '-F', 'List-Unsubscribe=One-Click', '-w', '\n%{http_code}', urls['carol@remote.test']], (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout))));
  t.match(out, /carol@remote\.test was removed[\s\S]*\n200$/);
  t.notOk(await isMember('carol@remote.test'));
  t.ok(await isMember('dave@remote.test'), 'other members stay');
});

t.test('the next post reaches neither removed member', async (t) => {
  await submit(app.smtpPort, { from: `alice@${D}`, to: [`oc@${D}`], subject: 'second post' });
  await copyAtPeer('dave@remote.test', 'second post');
  await waitFor('alice\'s second copy', async () => (await inbox(app, `alice@${D}`)).find((m) => /second post/.test(m.content)));
  await new Promise((r) => setTimeout(r, 300));
  const second = peer.messages.filter((m) => m.content.toString().includes('second post'));
  t.same(second.flatMap((m) => m.to).sort(), ['dave@remote.test']);
});

t.test('the one-click key survives a restart: links already mailed keep working', async (t) => {
  await app.close();
  app = await startTestAppliance({
    delivery: { pollMs: 100, gateway: `127.0.0.61:${peer.port}` },
    plugins: [{ name: 'mailing-list', options: { lists: [{ name: `oc@${D}`, posters: 'anyone', bounceLimit: 3 }] } }],
  }, data);
  // the restarted appliance has new port-0 listeners: same path, new origin
  const r = await oneClick(urls['dave@remote.test'].replace(/^https:\/\/[^/]+/, app.httpsUrl));
  t.equal(r.status, 200);
  t.match(r.body, /dave@remote\.test was removed/);
});
