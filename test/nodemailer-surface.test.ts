/**
 * The outbound SMTP client (appliance/delivery/smtp-client.ts) uses two members of nodemailer's
 * SMTPConnection that are not its public API (NODEMAILER_PRIVATE_SURFACE): `_supportedExtensions`
 * to see SMTPUTF8 in the peer's EHLO, and `_sendCommand` to add SMTPUTF8 to MAIL FROM for a
 * message with UTF-8 headers and ASCII addresses (RFC 6531 §3.4). These checks fail, naming the
 * member, when a nodemailer upgrade removes or changes them.
 */
import net from 'node:net';
import t from 'tap';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { NODEMAILER_PRIVATE_SURFACE, Session, type Target } from '../appliance/delivery/smtp-client.ts';

const nodemailerVersion = (await import('nodemailer/package.json', { with: { type: 'json' } })).default.version as string;
const why = (member: string, use: string) => `nodemailer ${nodemailerVersion}: SMTPConnection#${member} (${use}; appliance/delivery/smtp-client.ts)`;

t.test('the private members exist on the installed nodemailer', async (t) => {
  const proto = SMTPConnection.prototype as unknown as Record<string, unknown>;
  for (const m of NODEMAILER_PRIVATE_SURFACE.methods) t.type(proto[m], 'function', why(m, 'a method'));
  const conn = new SMTPConnection({ host: '127.0.0.1', port: 1 }) as unknown as Record<string, unknown>;
  for (const f of NODEMAILER_PRIVATE_SURFACE.fields) t.ok(f in conn, why(f, 'an instance field set in the constructor'));
  t.ok(Array.isArray(conn._supportedExtensions), why('_supportedExtensions', 'an array of EHLO keywords'));
});

/** A stock smtp-server on 127.0.0.1:0 that records whether MAIL FROM carried SMTPUTF8. */
async function peer(opts: Partial<SMTPServerOptions>) {
  const seen: { smtpUtf8: boolean; from: string }[] = [];
  const server = new SMTPServer({
    authOptional: true, logger: false, ...opts,
    onData(stream, session, cb) {
      stream.resume();
      stream.on('end', () => {
        seen.push({ smtpUtf8: !!session.envelope.smtpUtf8, from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '' });
        cb(null);
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as net.AddressInfo).port;
  return { port, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const target = (port: number): Target => ({ host: '127.0.0.1', address: '127.0.0.1', port, tls: false });
const clientOpts = { heloName: 'client.test', timeouts: { connectMs: 2000, greetingMs: 2000, socketMs: 2000 }, verifyCertificates: false };
const utf8Headers = Buffer.from('From: a@client.test\r\nTo: b@peer.test\r\nSubject: Grüße\r\n\r\nhello\r\n', 'utf8');

t.test('through a real session: SMTPUTF8 is seen in EHLO and added to MAIL FROM', async (t) => {
  const p = await peer({});
  t.teardown(() => p.close());
  const s = new Session(target(p.port), clientOpts, true);
  t.teardown(() => s.close());
  await s.connect();
  s.established = true;
  t.equal(s.offersSmtpUtf8, true, why('_supportedExtensions', 'lists SMTPUTF8 after an EHLO that offers it'));
  await s.send('a@client.test', ['b@peer.test'], utf8Headers, true);
  t.same(p.seen, [{ smtpUtf8: true, from: 'a@client.test' }], why('_sendCommand', 'carries the MAIL FROM line, which gets the SMTPUTF8 parameter'));
  await s.send('a@client.test', ['b@peer.test'], Buffer.from('Subject: plain\r\n\r\nhello\r\n'), false);
  t.equal(p.seen[1]?.smtpUtf8, false, 'an ASCII message goes without SMTPUTF8');
});

t.test('a peer without SMTPUTF8 in its EHLO is seen as such', async (t) => {
  const p = await peer({ hideSMTPUTF8: true });
  t.teardown(() => p.close());
  const s = new Session(target(p.port), clientOpts, true);
  t.teardown(() => s.close());
  await s.connect();
  t.equal(s.offersSmtpUtf8, false, why('_supportedExtensions', 'does not list SMTPUTF8 when EHLO leaves it out'));
});
