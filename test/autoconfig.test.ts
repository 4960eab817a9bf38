/**
 * Mail client autoconfiguration on the HTTP listener, read the way the clients read it: the
 * Thunderbird document and the Outlook POX answer parsed with Python's XML parser, the Apple
 * profile with plistlib; then Python's imaplib and smtplib use what they were told (host, port,
 * socket type, login name) against the appliance, with its certificate as the CA.
 */
import t from 'tap';
import http from 'node:http';
import path from 'node:path';
import { seedAccounts, startTestAppliance, type TestAppliance } from './helpers/appliance.ts';
import { python } from './helpers/python.ts';

let app: TestAppliance;
let cert: string;

t.before(async () => {
  app = await startTestAppliance({ hostname: 'localhost', autoconfig: { displayName: 'Example Mail' } });
  cert = path.join(app.dataDir, 'tls', 'self-signed-cert.pem');
  await seedAccounts(app, 'example.test', ['alice']);
});
t.teardown(() => app.close());

function request(pathname: string, o: { method?: string; body?: string; host?: string } = {}): Promise<{ status: number; body: string; type: string; disposition?: string }> {
  const url = new URL(app.httpUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, path: pathname, method: o.method ?? 'GET',
      headers: { ...(o.host ? { host: o.host } : {}), ...(o.body !== undefined ? { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(o.body) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'),
        type: String(res.headers['content-type']), disposition: res.headers['content-disposition'],
      }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

interface Server { type: string; host: string; port: number; socket: string; user: string }

const THUNDERBIRD = `
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
p = root.find('emailProvider')
def server(e):
    return {'type': e.get('type'), 'host': e.findtext('hostname'), 'port': int(e.findtext('port')),
            'socket': e.findtext('socketType'), 'user': e.findtext('username')}
print(json.dumps({'domain': p.findtext('domain'), 'name': p.findtext('displayName'),
  'incoming': [server(e) for e in p.findall('incomingServer')], 'outgoing': [server(e) for e in p.findall('outgoingServer')]}))
`;

async function thunderbird(body: string): Promise<{ domain: string; name: string; incoming: Server[]; outgoing: Server[] }> {
  const r = await python(THUNDERBIRD, [], { input: body });
  if (r.code !== 0) throw new Error(`not parsed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Logs in with what the client was told, through imaplib and smtplib with the certificate as the CA. */
const USE = `
import sys, json, ssl, imaplib, smtplib
s = json.loads(sys.argv[1]); cafile = sys.argv[2]; user = sys.argv[3].replace('%EMAILADDRESS%', 'alice@example.test')
ctx = ssl.create_default_context(cafile=cafile)
out = {}
i = s['imap']
m = imaplib.IMAP4_SSL(i['host'], i['port'], ssl_context=ctx) if i['socket'] in ('SSL', 'on') else imaplib.IMAP4(i['host'], i['port'])
if i['socket'] == 'STARTTLS': m.starttls(ssl_context=ctx)
out['imap'] = m.login(user, 'pw-alice')[0]; m.logout()
o = s['smtp']
c = smtplib.SMTP_SSL(o['host'], o['port'], context=ctx) if o['socket'] == 'SSL' else smtplib.SMTP(o['host'], o['port'])
if o['socket'] == 'STARTTLS': c.starttls(context=ctx)
c.ehlo()
out['smtp'] = c.login(user, 'pw-alice')[0]
out['mail'] = c.mail('alice@example.test')[0]; c.quit()
print(json.dumps(out))
`;

async function useSettings(imap: Server, smtp: Server, user: string): Promise<{ imap: string; smtp: number; mail: number }> {
  const r = await python(USE, [JSON.stringify({ imap, smtp }), cert, user], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`the client failed with these settings: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

t.test('Thunderbird: the well-known document lists the running listeners, and they work as told', async (t) => {
  const r = await request('/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=alice@example.test');
  t.equal(r.status, 200);
  t.match(r.type, /^application\/xml/);
  const doc = await thunderbird(r.body);
  t.equal(doc.domain, 'example.test');
  t.equal(doc.name, 'Example Mail', 'autoconfig.displayName');
  t.same(doc.incoming.map((s) => [s.type, s.port, s.socket]), [
    ['imap', app.imapsPort, 'SSL'], ['imap', app.imapPort, 'STARTTLS'], ['pop3', app.pop3sPort, 'SSL'], ['pop3', app.pop3Port, 'STARTTLS'],
  ], 'IMAP then POP3, implicit TLS before STARTTLS (RFC 8314 §3.3)');
  t.same(doc.outgoing.map((s) => [s.type, s.port, s.socket]), [['smtp', app.submissionsPort, 'SSL'], ['smtp', app.submissionPort, 'STARTTLS']],
    'outgoing: the submission listeners only, not the MX listeners');
  t.ok(doc.incoming.every((s) => s.host === 'localhost' && s.user === '%EMAILADDRESS%'), 'host name and the whole address as login');
  const used = await useSettings(doc.incoming[0], doc.outgoing[0], doc.incoming[0].user);
  t.same(used, { imap: 'OK', smtp: 235, mail: 250 }, 'IMAPS login and submission over implicit TLS with the advertised settings');
  const starttls = await useSettings(doc.incoming[1], doc.outgoing[1], doc.incoming[1].user);
  t.same(starttls, { imap: 'OK', smtp: 235, mail: 250 }, 'and the STARTTLS ones');

  const byHost = await request('/.well-known/autoconfig/mail/config-v1.1.xml', { host: 'autoconfig.example.test' });
  t.equal((await thunderbird(byHost.body)).domain, 'example.test', 'without emailaddress the domain comes from the Host header');
  t.equal((await request('/mail/config-v1.1.xml')).status, 400, 'the autoconfig.<domain> path needs the address');
});

t.test('only hosted domains are answered; bad input gets a clear refusal', async (t) => {
  const other = await request('/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=someone@elsewhere.test');
  t.equal(other.status, 404);
  t.match(other.body, /No mail service for elsewhere\.test/);
  t.equal((await request('/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=%3Cscript%3E')).status, 400, 'not an address');
  t.equal((await request('/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=alice@example.test', { method: 'POST', body: '' })).status, 405);
  t.equal((await request('/autodiscover/autodiscover.xml')).status, 405, 'autodiscover takes a POST');
  const big = await request('/autodiscover/autodiscover.xml', { method: 'POST', body: 'x'.repeat(17 * 1024) });
  t.equal(big.status, 413, 'a request body over 16 KiB');
});

const OUTLOOK_REQUEST = (address: string) => `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>${address}</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>`;

const OUTLOOK = `
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
out = {'protocols': [], 'error': None}
for e in root.iter():
    tag = e.tag.split('}')[-1]
    if tag == 'Protocol':
        f = {c.tag.split('}')[-1]: c.text for c in e}
        out['protocols'].append({'type': f.get('Type'), 'host': f.get('Server'), 'port': int(f.get('Port')), 'socket': f.get('Encryption'), 'user': f.get('LoginName')})
    if tag == 'Error': out['error'] = True
print(json.dumps(out))
`;

t.test('Outlook: POX autodiscover, both paths', async (t) => {
  for (const p of ['/autodiscover/autodiscover.xml', '/Autodiscover/Autodiscover.xml']) {
    const r = await request(p, { method: 'POST', body: OUTLOOK_REQUEST('alice@example.test') });
    t.equal(r.status, 200, p);
    const parsed = await python(OUTLOOK, [], { input: r.body });
    const doc = JSON.parse(parsed.stdout) as { protocols: Server[]; error: boolean | null };
    t.equal(doc.error, null, 'no error element');
    t.same(doc.protocols.map((s) => [s.type, s.port, s.socket]), [['IMAP', app.imapsPort, 'SSL'], ['POP3', app.pop3sPort, 'SSL'], ['SMTP', app.submissionsPort, 'SSL']],
      'the preferred server of each type (Outlook takes the first), Encryption SSL = implicit TLS');
    t.ok(doc.protocols.every((s) => s.user === 'alice@example.test'), 'LoginName is the address');
  }
  const other = await request('/autodiscover/autodiscover.xml', { method: 'POST', body: OUTLOOK_REQUEST('x@elsewhere.test') });
  t.equal(JSON.parse((await python(OUTLOOK, [], { input: other.body })).stdout).error, true, 'an unhosted domain gets an Error element');
});

const PLIST = `
import sys, json, plistlib
p = plistlib.loads(sys.stdin.buffer.read())
acct = [c for c in p['PayloadContent'] if c['PayloadType'] == 'com.apple.mail.managed'][0]
print(json.dumps({'type': p['PayloadType'], 'account': acct['EmailAccountType'], 'address': acct['EmailAddress'],
  'in': [acct['IncomingMailServerHostName'], acct['IncomingMailServerPortNumber'], acct['IncomingMailServerUseSSL'], acct['IncomingMailServerUsername']],
  'out': [acct['OutgoingMailServerHostName'], acct['OutgoingMailServerPortNumber'], acct['OutgoingMailServerUseSSL'], acct['OutgoingMailServerUsername']]}))
`;

t.test('Apple: a configuration profile plistlib reads', async (t) => {
  const r = await request('/apple/mailserver.mobileconfig?emailaddress=alice@example.test');
  t.equal(r.status, 200);
  t.match(r.type, /^application\/x-apple-aspen-config/);
  t.match(r.disposition, /attachment; filename="example\.test\.mobileconfig"/);
  const parsed = await python(PLIST, [], { input: r.body });
  t.equal(parsed.code, 0, parsed.stderr);
  const p = JSON.parse(parsed.stdout);
  t.same(p, {
    type: 'Configuration', account: 'EmailTypeIMAP', address: 'alice@example.test',
    in: ['localhost', app.imapsPort, true, 'alice@example.test'], out: ['localhost', app.submissionsPort, true, 'alice@example.test'],
  }, 'IMAPS and submission over implicit TLS');
  t.equal((await request('/apple/mailserver.mobileconfig')).status, 400, 'the address is required');
});
