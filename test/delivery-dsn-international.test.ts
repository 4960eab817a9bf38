/**
 * Internationalized delivery status notifications (RFC 6533) over SMTP. A message submitted
 * with SMTPUTF8 (Python's smtplib) to a UTF-8 recipient at a peer without SMTPUTF8 bounces
 * (RFC 6531 §3.5, 5.6.7); the bounce in the sender's mailbox is a multipart/report of
 * report-type global-delivery-status with a message/global-delivery-status part whose
 * Final-Recipient has the `utf-8` address type (§3), and the original's header section as
 * message/global-headers (§6.3). An ASCII message refused by the peer still bounces as an
 * RFC 3464 report (message/delivery-status, text/rfc822-headers, `rfc822;`). Python's email
 * package reads the structure.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { commonPort, smtpError, startPeer, waitFor, type Peer } from './helpers/sink.ts';
import { python } from './helpers/python.ts';

let app: TestAppliance;
let peer: Peer;

t.before(async () => {
  const port = await commonPort(['127.0.0.33']);
  peer = await startPeer('127.0.0.33', port, {
    hideSMTPUTF8: true,
    onRcpt: (a) => (a.startsWith('nobody@') ? smtpError(550, '5.1.1 no such user here') : null),
  });
  app = await startTestAppliance({
    smtp: { auth: { allowInsecure: true } },
    delivery: {
      pollMs: 100, retry: { intervalSeconds: 1 }, timeouts: { connectMs: 1000, greetingMs: 2000, socketMs: 2000 },
      gatewayTable: [{ domain: 'legacy.test', host: '127.0.0.33', port, tls: false }],
    },
  });
  await seedAccounts(app, 'local.test', ['alice']);
});
t.teardown(async () => {
  await app?.close();
  await peer?.close();
});

const SEND = `
import smtplib, sys
port, rcpt, subject, utf8 = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == '1'
body = ('From: alice@local.test\\r\\nTo: %s\\r\\nSubject: %s\\r\\nMIME-Version: 1.0\\r\\n'
        'Content-Type: text/plain; charset=utf-8\\r\\n\\r\\nhello\\r\\n' % (rcpt, subject)).encode('utf-8')
s = smtplib.SMTP('127.0.0.1', port)
s.ehlo('client.test')
s.login('alice@local.test', 'pw-alice')
s.sendmail('alice@local.test', [rcpt], body, mail_options=['SMTPUTF8'] if utf8 else [])
s.quit()
`;

/** The MIME structure as Python's email package sees it: content type and report-type per part. */
const STRUCTURE = `
import email, json, sys
msg = email.message_from_bytes(sys.stdin.buffer.read())
parts = [p.get_content_type() for p in msg.walk()]
print(json.dumps({'type': msg.get_content_type(), 'report': msg.get_param('report-type'), 'parts': parts}))
`;

async function send(rcpt: string, subject: string, utf8: boolean) {
  const r = await python(SEND, [String(app.smtpPort), rcpt, subject, utf8 ? '1' : '0']);
  if (r.code !== 0) throw new Error(`smtplib: ${r.stderr}`);
}

const bounceFor = (marker: string) => waitFor(`the bounce for ${marker}`, async () =>
  (await inbox(app, 'alice@local.test')).find((m) => m.content.includes('Undelivered Mail') && m.content.includes(marker)));

async function structure(content: string): Promise<{ type: string; report: string; parts: string[] }> {
  const r = await python(STRUCTURE, [], { input: content });
  if (r.code !== 0) throw new Error(`python: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

t.test('a SMTPUTF8 message to a UTF-8 recipient bounces as an RFC 6533 report', async (t) => {
  await send('jörg@legacy.test', 'Grüße an Jörg', true);
  const b = await bounceFor('jörg@legacy.test');
  const s = await structure(b.content);
  t.equal(s.type, 'multipart/report');
  t.equal(s.report, 'global-delivery-status', 'report-type names the global status part (RFC 6522 §3)');
  t.ok(s.parts.includes('message/global-delivery-status'), `a message/global-delivery-status part: ${s.parts.join(', ')}`);
  t.ok(s.parts.includes('message/global-headers'), 'the original header section as message/global-headers');
  t.notOk(s.parts.includes('message/delivery-status') || s.parts.includes('text/rfc822-headers'), 'no RFC 3464 parts');
  t.match(b.content, /\r\nFinal-Recipient: utf-8; jörg@legacy\.test\r\n/, 'the UTF-8 recipient with the utf-8 address type (RFC 6533 §3)');
  t.match(b.content, /Status: 5\.6\.7/);
  t.match(b.content, /Subject: Grüße an Jörg\r\n/, 'the returned header in UTF-8 as sent');
});

t.test('an ASCII message bounces as an RFC 3464 report, as before', async (t) => {
  await send('nobody@legacy.test', 'plain ascii', false);
  const b = await bounceFor('nobody@legacy.test');
  const s = await structure(b.content);
  t.equal(s.type, 'multipart/report');
  t.equal(s.report, 'delivery-status');
  t.ok(s.parts.includes('message/delivery-status'), `a message/delivery-status part: ${s.parts.join(', ')}`);
  t.ok(s.parts.includes('text/rfc822-headers'), 'the original header section as text/rfc822-headers');
  t.notOk(s.parts.some((p) => p.startsWith('message/global')), 'no RFC 6533 parts');
  t.match(b.content, /\r\nFinal-Recipient: rfc822; nobody@legacy\.test\r\n/);
  t.match(b.content, /Status: 5\.1\.1/);
});
