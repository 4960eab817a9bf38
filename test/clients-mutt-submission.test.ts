/**
 * mutt (the real one, batch mode) sending over the STARTTLS submission listener with its
 * default settings: `smtp_url=smtp://user@host:port/`, `ssl_starttls` and the AUTH mechanism as
 * mutt picks them, the appliance's certificate trusted as a CA file (`ssl_ca_certificates_file`),
 * and `record` an IMAP folder, so the sent copy is appended to Sent over IMAPS. Checked: mutt's
 * own debug transcript (STARTTLS before AUTH, 235), the appliance's log (the AUTH on TLS on the
 * submission port), the recipient's INBOX read with imaplib and the copy in alice's Sent.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { execFile } from 'node:child_process';
import pino from 'pino';
import { startTestAppliance, seedAccounts, tempDir } from './helpers/appliance.ts';
import { imaplib } from './helpers/imap-env.ts';

/** The appliance's own log (pino JSON lines), kept in memory. */
const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});
const app = await startTestAppliance({}, tempDir(), { log: pino({ level: 'info' }, sink) });
t.teardown(() => app.close());
await seedAccounts(app, 'example.test', ['alice', 'bob']);
const cert = path.join(app.dataDir, 'tls', 'self-signed-cert.pem');

function mutt(home: string, args: string[], input: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile('mutt', args, { env: { ...process.env, HOME: home, TERM: 'dumb', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }));
    child.stdin?.end(input);
  });
}

t.test('mutt submits over STARTTLS with AUTH and saves the sent copy to the IMAP Sent folder', async (t) => {
  const home = tempDir('mutt-send-');
  const rc = path.join(home, 'muttrc');
  // only what a user must say: who, where, the password and the CA; no mechanism, no TLS mode
  fs.writeFileSync(rc, `set from="Alice <alice@example.test>"
set smtp_url="smtp://alice%40example.test@localhost:${app.submissionPort}/"
set smtp_pass="pw-alice"
set ssl_ca_certificates_file="${cert}"
set certificate_file="${home}/certs"
set imap_user="alice@example.test"
set imap_pass="pw-alice"
set folder="imaps://localhost:${app.imapsPort}/"
set record="=Sent"
set header_cache=""
set message_cachedir=""
`);
  const r = await mutt(home, ['-n', '-F', rc, '-d', '2', '-s', 'mutt over submission', 'bob@example.test'], 'Hello Bob,\nsent by mutt.\n');
  const debug = fs.readdirSync(home).filter((f) => f.startsWith('.muttdebug')).map((f) => fs.readFileSync(path.join(home, f), 'latin1')).join('\n');
  t.equal(r.code, 0, 'mutt exit 0', { out: r.out, debug: debug.slice(-3000) });

  // mutt's transcript: STARTTLS answered 220 before any AUTH, AUTH accepted with 235
  const starttls = debug.search(/> STARTTLS/);
  const auth = debug.search(/> AUTH [A-Z]/);
  t.ok(starttls >= 0, 'mutt sent STARTTLS');
  t.ok(auth > starttls, 'AUTH only after STARTTLS');
  t.match(debug.slice(starttls), /< 220 /, 'STARTTLS accepted');
  t.match(debug.slice(auth), /< 235 /, 'AUTH accepted');
  t.notMatch(debug.slice(0, Math.max(starttls, 0)), /250[- ]AUTH/, 'no AUTH offered on the plain connection');
  t.match(debug, /\d> a\d+ APPEND "Sent" \(\\Seen\) /, 'the sent copy appended over IMAP to Sent, seen');
  t.match(debug, /< a\d+ OK \[APPENDUID \d+ 1\] APPEND completed/);

  // the appliance's log: the AUTH was on TLS, on the submission listener's port
  const authLine = lines.find((l) => l.msg === 'smtp auth ok');
  t.ok(authLine, 'the appliance logged the AUTH');
  t.match(authLine, { user: 'alice@example.test', tls: true, port: app.submissionPort, submission: true });

  const got = await imaplib(app, `
c = login('bob')
c.select('INBOX', readonly=True)
out['inbox'] = c.fetch('1:*', '(BODY.PEEK[])')[1]
c.logout()
c = login('alice')
c.select('Sent', readonly=True)
out['sent'] = c.fetch('1:*', '(FLAGS BODY.PEEK[])')[1]
c.logout()
`);
  const inboxText = JSON.stringify(got.inbox);
  t.match(inboxText, /Subject: mutt over submission/, 'bob received it');
  t.match(inboxText, /Hello Bob,\\r\\nsent by mutt\./, 'with its body');
  t.match(inboxText, /From: Alice <alice@example\.test>/);
  t.match(inboxText, /with ESMTPSA/, 'Received: says TLS and AUTH (RFC 3848)');
  const sent = JSON.stringify(got.sent);
  t.match(sent, /Subject: mutt over submission/, 'the copy is in alice\'s Sent');
  t.match(sent, /sent by mutt\./);
  t.match(sent, /\\\\Seen/, 'the copy is marked seen, as mutt appends it');
  const id = /Message-ID: (<[^>]+>)/i.exec(inboxText)?.[1];
  t.ok(id && sent.includes(id), 'the same message (Message-ID) in both');
});
