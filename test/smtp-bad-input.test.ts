/**
 * The ugly cases: SMTP smuggling, commands pipelined after STARTTLS, overlong lines, a client
 * that stops mid-DATA, non-UTF-8 headers. Each gets a clear reply, nothing half-stored, and
 * the server keeps serving.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from './helpers/appliance.ts';
import { RawClient } from './helpers/raw-client.ts';

let app: TestAppliance;
t.before(async () => {
  app = await startTestAppliance({ smtp: { socketTimeoutMs: 1500 } });
  await seedAccounts(app, 'example.test', ['alice', 'bob', 'smuggled']);
});
t.teardown(() => app.close());

async function open(): Promise<RawClient> {
  const c = await RawClient.smtp(app.smtpPort);
  return c;
}

t.test('bare LF in DATA is refused with 550 5.5.2 and nothing is stored', async (t) => {
  const c = await open();
  t.match(await c.command('MAIL FROM:<a@client.test>'), /^250/);
  t.match(await c.command('RCPT TO:<alice@example.test>'), /^250/);
  t.match(await c.command('DATA'), /^354/);
  c.write('Subject: lf\r\n\r\nline one\nline two\r\n.\r\n');
  t.match(await c.reply(), /^550 5\.5\.2 .*bare <LF>/);
  t.match(await c.command('NOOP'), /^250/, 'session goes on');
  c.close();
  t.equal((await inbox(app, 'alice@example.test')).length, 0);
});

t.test('<LF>.<CR><LF> does not end DATA: no smuggled second message', async (t) => {
  const c = await open();
  await c.command('MAIL FROM:<a@client.test>');
  await c.command('RCPT TO:<bob@example.test>');
  t.match(await c.command('DATA'), /^354/);
  c.write('Subject: first\r\n\r\nbody\n.\r\nMAIL FROM:<evil@client.test>\r\nRCPT TO:<smuggled@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\n');
  const reply = await c.reply();
  t.match(reply, /^550 5\.5\.2/, 'the whole thing is one message with a bare LF, refused');
  t.match(await c.drain(300), /^$/, 'no further replies: nothing was read as a command');
  c.close();
  t.equal((await inbox(app, 'smuggled@example.test')).length, 0);
  t.equal((await inbox(app, 'bob@example.test')).length, 0);
});

t.test('commands pipelined after STARTTLS are discarded', async (t) => {
  const c = await open();
  c.write('STARTTLS\r\nMAIL FROM:<injected@client.test>\r\n');
  t.match(await c.reply(), /^220/);
  await c.startTls();
  // had the injected MAIL FROM run, a second MAIL would get 503
  t.match(await c.command('EHLO client.test'), /^250/);
  t.match(await c.command('MAIL FROM:<a@client.test>'), /^250/);
  c.close();
});

t.test('a 1 MB command line gets an error and the server keeps working', async (t) => {
  const c = await open();
  c.write('MAIL FROM:<' + 'a'.repeat(1024 * 1024) + '@client.test>\r\n');
  const reply = await c.reply(10_000).catch((e) => String(e));
  t.match(reply, /^(5\d\d|421) /, 'refused with a protocol error');
  c.close();
  const d = await open();
  t.match(await d.command('NOOP'), /^250/);
  d.close();
});

t.test('a client that stops mid-DATA leaves nothing stored and is timed out', async (t) => {
  const c = await open();
  await c.command('MAIL FROM:<a@client.test>');
  await c.command('RCPT TO:<alice@example.test>');
  await c.command('DATA');
  c.write('Subject: half\r\n\r\nthe first half');
  const start = Date.now();
  t.match(await c.reply(5000), /^421 /, 'told why');
  await c.drain(300);
  t.ok(c.closed, 'idle client disconnected');
  t.ok(Date.now() - start < 4000, 'by the idle timeout');
  t.equal((await inbox(app, 'alice@example.test')).length, 0);
});

t.test('a client that disconnects mid-DATA leaves nothing stored', async (t) => {
  const c = await open();
  await c.command('MAIL FROM:<a@client.test>');
  await c.command('RCPT TO:<alice@example.test>');
  await c.command('DATA');
  c.write('Subject: half\r\n\r\nthe first half');
  c.close();
  await new Promise((r) => setTimeout(r, 200));
  t.equal((await inbox(app, 'alice@example.test')).length, 0);
});

t.test('invalid addresses get clear syntax errors', async (t) => {
  const c = await open();
  t.match(await c.command('MAIL FROM:<not an address>'), /^5\d\d /);
  t.match(await c.command('MAIL FROM:a@client.test'), /^5\d\d |^250/);
  await c.command('RSET');
  t.match(await c.command('MAIL FROM:<a@client.test>'), /^250/);
  t.match(await c.command('RCPT TO:<@@bad>'), /^5\d\d /);
  t.match(await c.command('DATA'), /^503 /, 'no valid recipient yet');
  t.match(await c.command('FROB'), /^500 /);
  c.close();
});

t.test('non-UTF-8 (Shift_JIS, ISO-2022-JP) headers are stored byte-exact', async (t) => {
  const c = await open();
  await c.command('MAIL FROM:<a@client.test>');
  await c.command('RCPT TO:<alice@example.test>');
  await c.command('DATA');
  const sjis = Buffer.from([0x83, 0x65, 0x83, 0x58, 0x83, 0x67]); // "テスト" in Shift_JIS
  const jis = '\x1b$B%F%9%H\x1b(B';
  const body = Buffer.concat([Buffer.from('Subject: '), sjis, Buffer.from(`\r\nX-Jis: ${jis}\r\n\r\nbody\r\n.\r\n`)]);
  c.write(body);
  t.match(await c.reply(), /^250 /);
  c.close();
  const acct = await app.store.accounts.get('alice@example.test');
  const mbox = await app.store.mail.mailbox(acct!.id, 'INBOX');
  const [msg] = await app.store.mail.messages(mbox!.id);
  const raw = await app.store.mail.read(msg.blobId);
  t.ok(raw.includes(Buffer.concat([Buffer.from('Subject: '), sjis, Buffer.from('\r\n')])), 'Shift_JIS bytes intact');
  t.ok(raw.includes(Buffer.from(`X-Jis: ${jis}\r\n`)), 'ISO-2022-JP escape sequences intact');
});
