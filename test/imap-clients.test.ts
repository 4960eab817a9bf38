/**
 * Real mail clients against the running appliance: mbsync (isync) syncing an account both
 * ways over implicit TLS (certificate checked, name "localhost"), including flag changes and
 * deletions; mutt in batch mode reading a Japanese (ISO-2022-JP) message delivered over SMTP.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { startImapAppliance, imaplib } from './helpers/imap-env.ts';
import { tempDir } from './helpers/appliance.ts';

const app = await startImapAppliance();
t.teardown(() => app.close());

function run(cmd: string, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Messages of a maildir folder: file name -> flags after ":2,". */
function maildir(dir: string): { file: string; flags: string; body: string }[] {
  const out = [];
  for (const sub of ['new', 'cur']) {
    const d = path.join(dir, sub);
    if (!fs.existsSync(d)) continue;
    for (const f of fs.readdirSync(d)) out.push({ file: path.join(d, f), flags: f.split(':2,')[1] ?? '', body: fs.readFileSync(path.join(d, f), 'latin1') });
  }
  return out;
}

t.test('mbsync syncs both ways: new mail, flags, deletions, appends', async (t) => {
  const dir = tempDir('mbsync-');
  const cert = path.join(app.dataDir, 'tls', 'self-signed-cert.pem');
  const rc = path.join(dir, 'mbsyncrc');
  fs.mkdirSync(path.join(dir, 'mail'));
  fs.writeFileSync(rc, `IMAPAccount acc
Host localhost
Port ${app.imapsPort}
User alice@example.test
Pass pw-alice
SSLType IMAPS
CertificateFile ${cert}

IMAPStore remote
Account acc

MaildirStore local
Path ${dir}/mail/
Inbox ${dir}/mail/INBOX
SubFolders Verbatim

Channel ch
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
`);
  const sync = async () => {
    const r = await run('mbsync', ['-c', rc, '-a']);
    t.equal(r.code, 0, `mbsync exit 0: ${r.stderr}`);
    return r;
  };
  await imaplib(app, `
for i in range(3):
    send('alice', ('From: x@example.org\\r\\nSubject: sync %d\\r\\nMessage-ID: <sync%d@example.org>\\r\\n\\r\\nbody %d\\r\\n' % (i, i, i)).encode())
`);
  await sync();
  let inbox = maildir(path.join(dir, 'mail', 'INBOX'));
  t.equal(inbox.length, 3, 'three messages pulled');
  t.ok(fs.existsSync(path.join(dir, 'mail', 'Sent')), 'special folders pulled');

  // local changes: flag one, delete one, add one in Drafts
  const byBody = (n: number) => inbox.find((m) => m.body.includes(`body ${n}`))!;
  const flagged = byBody(0);
  fs.renameSync(flagged.file, path.join(path.dirname(flagged.file), '..', 'cur', path.basename(flagged.file).split(':2,')[0] + ':2,FS'));
  fs.unlinkSync(byBody(1).file);
  fs.mkdirSync(path.join(dir, 'mail', 'Drafts', 'cur'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'mail', 'Drafts', 'cur', `${Date.now()}.1.host:2,D`), 'From: alice@example.test\r\nSubject: local draft\r\n\r\ndraft body\r\n');
  await sync();
  const server = await imaplib(app, `
c = login('alice')
c.select('INBOX')
out['inbox'] = c.fetch('1:*', '(FLAGS BODY.PEEK[TEXT])')[1]
out['drafts'] = c.select('Drafts')
out['draft'] = c.fetch('1:*', '(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])')[1]
# server-side changes for the next sync
c.select('INBOX')
typ, data = c.search(None, 'BODY', '"body 2"')
out['s2'] = data
c.store(data[0].decode(), '+FLAGS', '\\\\Answered')
typ, data = c.search(None, 'BODY', '"body 0"')
c.store(data[0].decode(), '+FLAGS', '\\\\Deleted')
c.expunge()
c.logout()
`);
  const inboxText = JSON.stringify(server.inbox);
  t.match(inboxText, /\\\\Seen/, 'local S flag reached the server');
  t.match(inboxText, /\\\\Flagged/, 'local F flag reached the server');
  t.notMatch(inboxText, /body 1/, 'locally deleted message expunged on the server');
  t.match(JSON.stringify(server.draft), /local draft/, 'local message appended');
  t.match(JSON.stringify(server.draft), /\\\\Draft/);

  await sync();
  inbox = maildir(path.join(dir, 'mail', 'INBOX'));
  t.equal(inbox.length, 1, 'server-side expunge removed the local copy');
  t.match(inbox[0].body, /body 2/);
  t.match(inbox[0].flags, /R/, 'server-side \\Answered became R');
  // a second sync with no changes is a no-op and still succeeds
  await sync();
  t.equal(maildir(path.join(dir, 'mail', 'INBOX')).length, 1);
});

t.test('mutt reads a Japanese ISO-2022-JP message delivered over SMTP', async (t) => {
  const dir = tempDir('mutt-');
  const subject = '=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?='; // テスト
  const expected = '日本語のメールです。文字化けしません。';
  await imaplib(app, `
body = '${expected}'.encode('iso2022_jp')
send('bob', b'From: sender@example.org\\r\\nTo: bob@example.test\\r\\nSubject: ${subject}\\r\\nMIME-Version: 1.0\\r\\nContent-Type: text/plain; charset=ISO-2022-JP\\r\\nContent-Transfer-Encoding: 7bit\\r\\n\\r\\n' + body + b'\\r\\n')
`);
  const cert = path.join(app.dataDir, 'tls', 'self-signed-cert.pem');
  const outFile = path.join(dir, 'out.txt');
  fs.writeFileSync(path.join(dir, 'muttrc'), `set ssl_ca_certificates_file="${cert}"
set certificate_file="${dir}/certs"
set imap_user="bob@example.test"
set imap_pass="pw-bob"
set folder="imaps://localhost:${app.imapsPort}/"
set spoolfile="+INBOX"
set charset="utf-8"
set pipe_decode=yes
set wait_key=no
set header_cache=""
set message_cachedir=""
set record=""
set postponed=""
set mail_check=0
set imap_check_subscribed=no
`);
  const cmd = `mutt -n -F ${dir}/muttrc -f imaps://localhost:${app.imapsPort}/INBOX -e 'push "<pipe-message>cat > ${outFile}<enter><exit>"'`;
  const r = await run('script', ['-qfec', cmd, '/dev/null'], { env: { TERM: 'xterm', HOME: dir, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' }, timeoutMs: 30_000 });
  t.equal(r.code, 0, `mutt exited cleanly: ${r.stderr}`);
  const text = fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8') : '';
  t.match(text, 'Subject: テスト', 'subject decoded to Japanese');
  t.match(text, expected, 'ISO-2022-JP body decoded to Japanese');
});
