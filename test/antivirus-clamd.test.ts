/**
 * AV-1 / AV-3 with a real clamd (offline, the test's own signatures): EICAR as a plain body, as
 * a base64 attachment and inside a nested multipart is refused with 554 5.7.1 naming the
 * signature; clean mail passes; viruslog copy; exempt IPs; clamd down or hung → 451 by default
 * or accept-with-header by setting, never a hang.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, tempDir, type TestAppliance } from './helpers/appliance.ts';
import { smtpSteps } from './helpers/smtp-script.ts';
import { startClamd, EICAR } from './helpers/clamd.ts';
import { commonPort } from './helpers/sink.ts';
import { smtpSend } from './helpers/big-mail.ts';

const b64 = (s: string | Buffer) => (Buffer.from(s).toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
const HASHED = Buffer.from('this exact attachment is a known bad file\n');

const MESSAGES: Record<string, string> = {
  plain: `Subject: plain\r\n\r\n${EICAR}\r\n`,
  attachment: `Subject: attachment\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="a1"\r\n\r\n--a1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n`
    + `--a1\r\nContent-Type: application/octet-stream; name="eicar.com"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="eicar.com"\r\n\r\n${b64(EICAR)}\r\n--a1--\r\n`,
  nested: `Subject: nested\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="o"\r\n\r\n--o\r\nContent-Type: multipart/alternative; boundary="i"\r\n\r\n`
    + `--i\r\nContent-Type: text/plain\r\n\r\nhi\r\n--i\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--i--\r\n`
    + `--o\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="d"\r\n\r\n`
    + `--d\r\nContent-Type: application/zip; name="x.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(EICAR)}\r\n--d--\r\n--o--\r\n`,
  hashed: `Subject: hashed\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="h"\r\n\r\n--h\r\nContent-Type: application/octet-stream; name="bad.dat"\r\n`
    + `Content-Transfer-Encoding: base64\r\n\r\n${b64(HASHED)}\r\n--h--\r\n`,
  clean: `Subject: clean\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="c"\r\n\r\n--c\r\nContent-Type: text/plain\r\n\r\nnothing to see\r\n`
    + `--c\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64('harmless bytes')}\r\n--c--\r\n`,
};

async function send(app: TestAppliance, body: string, source?: string) {
  const r = await smtpSteps(app.smtpPort, [['cmd', 'MAIL FROM:<x@client.test>'], ['cmd', 'RCPT TO:<bob@example.test>'], ['data', body]], source);
  return r[2];
}

t.test('with a real clamd', async (t) => {
  const clamd = await startClamd({ hashed: HASHED });
  t.teardown(() => clamd.close());

  t.test('finds EICAR however it is packed; clean mail passes (UNIX socket)', async (t) => {
    const dataDir = tempDir();
    const app = await startTestAppliance({
      plugins: [{ name: 'antivirus', options: { clamd: { socket: clamd.socket }, viruslog: true, exemptIps: ['127.0.0.9'] } }],
    }, dataDir);
    t.teardown(() => app.close());
    await seedAccounts(app, 'example.test', ['bob']);
    for (const kind of ['plain', 'attachment', 'nested']) {
      t.match(await send(app, MESSAGES[kind]), [554, /^5\.7\.1 Message refused: virus found \(Test\.EICAR\.UNOFFICIAL\)/], kind);
    }
    t.match(await send(app, MESSAGES.hashed), [554, /Test\.Hashed\.UNOFFICIAL/], 'an .hdb hash signature of an attachment');
    t.equal((await inbox(app, 'bob@example.test')).length, 0, 'nothing refused was stored');
    t.match(await send(app, MESSAGES.clean), [250]);
    const box = await inbox(app, 'bob@example.test');
    t.equal(box.length, 1);
    t.match(box[0].content, /\r\nX-Virus-Scanned: ClamAV on mail\.test\r\n/);
    const logged = fs.readdirSync(path.join(dataDir, 'viruslog')).filter((f) => f.endsWith('.eml'));
    t.equal(logged.length, 4, 'viruslog keeps every refused message');
    t.ok(logged.some((f) => fs.readFileSync(path.join(dataDir, 'viruslog', f), 'latin1').includes('Subject: nested')));
    t.match(await send(app, MESSAGES.plain, '127.0.0.9'), [250], 'AV-3: an exempt IP is not scanned');
    t.equal((await inbox(app, 'bob@example.test')).length, 2);
  });

  t.test('a message spooled to disk (over smtp.spoolThreshold) is streamed to clamd whole', async (t) => {
    const dataDir = tempDir();
    const app = await startTestAppliance({
      smtp: { spoolThreshold: 64 * 1024 },
      plugins: [{ name: 'antivirus', options: { clamd: { socket: clamd.socket }, viruslog: true } }],
    }, dataDir);
    t.teardown(() => app.close());
    await seedAccounts(app, 'example.test', ['bob']);
    const filler = `${'clean filler line of a large message'.padEnd(76, '.')}\r\n`.repeat(30_000); // ~2.3 MB
    const big = (text: string) => smtpSend(app.smtpPort, 'x@client.test', 'bob@example.test', Buffer.from(text, 'latin1'));
    t.match(await big(`Subject: big infected\r\n\r\n${filler}${EICAR}\r\n`), /^554 5\.7\.1 .*Test\.EICAR\.UNOFFICIAL/, 'EICAR after 2 MB is found');
    const logged = fs.readdirSync(path.join(dataDir, 'viruslog')).filter((f) => f.endsWith('.eml'));
    t.equal(logged.length, 1, 'the refused message is in the viruslog');
    t.ok(fs.readFileSync(path.join(dataDir, 'viruslog', logged[0]), 'latin1').endsWith(`${EICAR}\r\n`), 'whole');
    t.match(await big(`Subject: big clean\r\n\r\n${filler}`), /^250 /, 'a clean one passes');
    const box = await inbox(app, 'bob@example.test');
    t.equal(box.length, 1);
    t.match(box[0].content, /\r\nX-Virus-Scanned: ClamAV on mail\.test\r\nSubject: big clean\r\n/);
    t.ok(box[0].content.endsWith(filler), 'stored whole');
    t.same(fs.readdirSync(path.join(dataDir, 'spool')), [], 'no spool file left');
  });

  t.test('over TCP; a hung clamd times out to 451 instead of hanging', async (t) => {
    const app = await startTestAppliance({
      plugins: [{ name: 'antivirus', options: { clamd: { host: '127.0.0.1', port: clamd.port }, timeoutMs: 3000 } }],
    });
    t.teardown(() => app.close());
    await seedAccounts(app, 'example.test', ['bob']);
    t.match(await send(app, MESSAGES.attachment), [554, /Test\.EICAR\.UNOFFICIAL/]);
    t.match(await send(app, MESSAGES.clean), [250]);
    clamd.freeze();
    try {
      const started = Date.now();
      t.match(await send(app, MESSAGES.clean), [451, /4\.3\.0 Virus scanner unavailable/]);
      t.ok(Date.now() - started < 20_000, 'answered after the scan timeout');
    } finally {
      clamd.thaw();
    }
    t.match(await send(app, MESSAGES.plain), [554], 'scanning again once clamd answers');
  });

  t.test('clamd down: 451 by default, accept with a header by setting', async (t) => {
    const deadPort = await commonPort(['127.0.0.1']);
    const app = await startTestAppliance({
      plugins: [{ name: 'antivirus', options: { clamd: { port: deadPort } } }],
    });
    t.teardown(() => app.close());
    await seedAccounts(app, 'example.test', ['bob']);
    t.match(await send(app, MESSAGES.clean), [451, /4\.3\.0/]);
    t.equal((await inbox(app, 'bob@example.test')).length, 0);

    const lax = await startTestAppliance({
      plugins: [{ name: 'antivirus', options: { clamd: { socket: path.join(tempDir(), 'no-such.sock') }, onError: 'accept' } }],
    });
    t.teardown(() => lax.close());
    await seedAccounts(lax, 'example.test', ['bob']);
    t.match(await send(lax, MESSAGES.plain), [250]);
    t.match((await inbox(lax, 'bob@example.test'))[0].content, /\r\nX-Virus-Status: Unscanned \(scanner unavailable\)/);
  });
});
