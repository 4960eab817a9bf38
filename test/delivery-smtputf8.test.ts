/**
 * SMTPUTF8 on the way out (RFC 6531 §3.4), through two recording SMTP peers (gateway table):
 * one without SMTPUTF8 in its EHLO, one with it. A message submitted with SMTPUTF8 (Python's
 * smtplib) that needs it — a UTF-8 envelope address, or UTF-8 header fields — is not sent to the
 * peer without it and not downgraded: the sender gets a bounce, 5.6.7 for an address, 5.6.9 for
 * headers (RFC 6531 §3.5). To the peer with it, MAIL FROM carries SMTPUTF8, also when only the
 * headers are UTF-8. An ASCII message still goes to the peer without SMTPUTF8.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { commonPort, startPeer, waitFor, type Peer } from './helpers/sink.ts';
import { python } from './helpers/python.ts';

let port: number;
let legacy: Peer;
let modern: Peer;
let app: TestAppliance;

t.before(async () => {
  port = await commonPort(['127.0.0.31', '127.0.0.32']);
  legacy = await startPeer('127.0.0.31', port, { hideSMTPUTF8: true });
  modern = await startPeer('127.0.0.32', port);
  app = await startTestAppliance({
    smtp: { auth: { allowInsecure: true } },
    delivery: {
      pollMs: 100, retry: { intervalSeconds: 1 }, timeouts: { connectMs: 1000, greetingMs: 2000, socketMs: 2000 },
      gatewayTable: [{ domain: 'legacy.test', host: '127.0.0.31', port, tls: false }, { domain: 'modern.test', host: '127.0.0.32', port, tls: false }],
    },
  });
  await seedAccounts(app, 'local.test', ['alice']);
});
t.teardown(async () => {
  await app?.close();
  await Promise.all([legacy?.close(), modern?.close()]);
});

const SEND = `
import smtplib, sys
port, rcpt, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = ('From: alice@local.test\\r\\nTo: %s\\r\\nSubject: %s\\r\\nMIME-Version: 1.0\\r\\n'
        'Content-Type: text/plain; charset=utf-8\\r\\n\\r\\nhello\\r\\n' % (rcpt, subject)).encode('utf-8')
s = smtplib.SMTP('127.0.0.1', port)
s.ehlo('client.test')
s.login('alice@local.test', 'pw-alice')
s.sendmail('alice@local.test', [rcpt], body, mail_options=['SMTPUTF8'])
s.quit()
`;

async function send(rcpt: string, subject: string) {
  const r = await python(SEND, [String(app.smtpPort), rcpt, subject]);
  if (r.code !== 0) throw new Error(`smtplib: ${r.stderr}`);
}

const bounceFor = (marker: string) => waitFor(`the bounce for ${marker}`, async () =>
  (await inbox(app, 'alice@local.test')).find((m) => m.content.includes('Undelivered Mail') && m.content.includes(marker)));

t.test('to a peer without SMTPUTF8: a UTF-8 address bounces with 5.6.7, UTF-8 headers with 5.6.9', async (t) => {
  await send('jörg@legacy.test', 'address case');
  const b1 = await bounceFor('jörg@legacy.test');
  t.match(b1.content, /Status: 5\.6\.7/, 'RFC 6531 §3.5: non-ASCII address not permitted');
  await send('bob@legacy.test', 'Grüße 日本 header case');
  const b2 = await bounceFor('bob@legacy.test');
  t.match(b2.content, /Status: 5\.6\.9/, 'RFC 6531 §3.5: UTF-8 header message cannot be transferred');
  t.equal(legacy.messages.length, 0, 'nothing was sent to the legacy peer, downgraded or not');
  await send('carol@legacy.test', 'plain ascii');
  const m = await waitFor('the ASCII message at the legacy peer', () => legacy.messages.find((x) => x.content.includes('Subject: plain ascii')));
  t.equal(m.smtpUtf8, false, 'an ASCII message goes on without SMTPUTF8');
});

t.test('to a peer with SMTPUTF8: MAIL FROM carries it, the bytes arrive as sent', async (t) => {
  await send('jörg@modern.test', 'Grüße an Jörg');
  const a = await waitFor('the UTF-8 address message', () => modern.messages.find((x) => x.to.includes('jörg@modern.test')));
  t.equal(a.smtpUtf8, true, 'SMTPUTF8 on MAIL FROM for a UTF-8 recipient');
  t.ok(a.content.includes(Buffer.from('Subject: Grüße an Jörg\r\n', 'utf8')), 'the UTF-8 subject unchanged');
  await send('bob@modern.test', 'Nur der Betreff: Grüße');
  const h = await waitFor('the UTF-8 header message', () => modern.messages.find((x) => x.to.includes('bob@modern.test')));
  t.equal(h.smtpUtf8, true, 'SMTPUTF8 on MAIL FROM for ASCII addresses with UTF-8 headers');
  t.ok(h.content.includes(Buffer.from('Subject: Nur der Betreff: Grüße\r\n', 'utf8')));
});
