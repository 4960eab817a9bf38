/**
 * SPF, DKIM and DMARC with mailauth against a real DNS server (dnsmasq on loopback) serving
 * the test records; the Authentication-Results header and DMARC enforcement, over SMTP.
 */
import t from 'tap';
import crypto from 'node:crypto';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { smtpSteps } from './helpers/smtp-script.ts';
import { startDns, type TestDns } from './helpers/dns.ts';

const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

let dns: TestDns;
t.before(async () => {
  dns = await startDns({
    txt: [
      ['remote.test', 'v=spf1 ip4:127.0.0.2 -all'],
      ['_dmarc.remote.test', 'v=DMARC1; p=reject'],
      ['sel._domainkey.remote.test', `v=DKIM1; k=rsa; p=${spki}`],
      ['q.test', 'v=spf1 ip4:127.0.0.2 -all'],
      ['_dmarc.q.test', 'v=DMARC1; p=quarantine'],
    ],
  });
});
t.teardown(() => dns?.close());

async function start(enforceDmarc: boolean): Promise<TestAppliance> {
  const app = await startTestAppliance({ delivery: { enabled: false }, plugins: [{ name: 'mail-auth', options: { servers: [dns.server], enforceDmarc } }] });
  await seedAccounts(app, 'example.test', ['alice']);
  return app;
}

const message = (from: string, extra = '') => `${extra}From: ${from}\r\nTo: alice@example.test\r\nSubject: auth\r\nMessage-ID: <${crypto.randomUUID()}@x>\r\n\r\nhello\r\n`;

async function signed(from: string): Promise<string> {
  const body = message(from);
  const r = await dkimSign(body, { signatureData: [{ signingDomain: 'remote.test', selector: 'sel', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) }] } as never);
  return r.signatures + body;
}

const send = (app: TestAppliance, source: string, sender: string, data: string) => smtpSteps(app.smtpPort,
  [['cmd', `MAIL FROM:<${sender}>`], ['cmd', 'RCPT TO:<alice@example.test>'], ['data', data]], source);

t.test('SPF, DKIM and DMARC pass: Authentication-Results added, forged ones removed', async (t) => {
  const app = await start(true);
  t.teardown(() => app.close());
  const forged = 'Authentication-Results: mail.test; dkim=pass; spf=pass; dmarc=pass\r\nAuthentication-Results: upstream.test; spf=none\r\n';
  const body = await signed('x@remote.test');
  const r = await send(app, '127.0.0.2', 'x@remote.test', forged + body);
  t.match(r[2], [250, /queued/]);
  const [stored] = await inbox(app, 'alice@example.test');
  t.match(stored.content, /\r\nReceived-SPF: pass /);
  t.match(stored.content, /\r\nAuthentication-Results: mail\.test;\r\n\s+dkim=pass header\.i=@remote\.test header\.s=sel/);
  t.match(stored.content, /spf=pass .*smtp\.mailfrom=x@remote\.test/s);
  t.match(stored.content, /dmarc=pass .*header\.from=remote\.test/s);
  t.equal(stored.content.match(/^Authentication-Results: mail\.test;/gm)?.length, 1, 'the forged mail.test result is gone');
  t.match(stored.content, /^Authentication-Results: upstream\.test; spf=none/m, 'another server\'s result stays');
});

t.test('DMARC p=reject is enforced when configured, reported otherwise', async (t) => {
  const app = await start(true);
  t.teardown(() => app.close());
  const r = await send(app, '127.0.0.3', 'x@remote.test', message('x@remote.test'));
  t.match(r[2], [550, /^5\.7\.1 Message refused: DMARC policy of remote\.test \(p=reject\) failed/]);
  const q = await send(app, '127.0.0.3', 'x@q.test', message('x@q.test'));
  t.equal(q[2][0], 250, 'p=quarantine is accepted');
  const [stored] = await inbox(app, 'alice@example.test');
  t.match(stored.content, /X-Spam-Flag: YES\r\nX-Quarantine-Reason: DMARC policy of q\.test \(p=quarantine\) failed/);
  t.match(stored.content, /spf=fail/);

  const lenient = await start(false);
  t.teardown(() => lenient.close());
  const l = await send(lenient, '127.0.0.3', 'x@remote.test', message('x@remote.test'));
  t.equal(l[2][0], 250, 'not enforced: accepted');
  t.match((await inbox(lenient, 'alice@example.test'))[0].content, /dmarc=fail/);
});
