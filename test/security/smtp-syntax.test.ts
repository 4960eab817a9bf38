/**
 * The SMTP syntax cases: a UTF-8 MAIL FROM without SMTPUTF8 gets 553 5.6.7 (RFC 6531
 * §3.5), with SMTPUTF8 it is accepted; an address that is not valid UTF-8 gets 501 and is never
 * stored with replacement characters; AUTH inside a mail transaction gets 503 5.5.1 (RFC 4954 §4);
 * a bare CR in DATA is refused with a text that says bare CR.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from '../helpers/appliance.ts';
import { RawClient } from '../helpers/raw-client.ts';

let app: TestAppliance;
t.before(async () => {
  app = await startTestAppliance({ smtp: { auth: { allowInsecure: true } } });
  await seedAccounts(app, 'example.test', ['alice', 'bob']);
});
t.teardown(() => app.close());

async function open(): Promise<RawClient> {
  const c = await RawClient.smtp(app.smtpPort);
  return c;
}

/** Writes raw bytes (the client reads latin1, so replies are compared as ASCII). */
async function raw(c: RawClient, bytes: Buffer): Promise<string> {
  c.write(Buffer.concat([bytes, Buffer.from('\r\n')]));
  return c.reply();
}

t.test('UTF-8 in MAIL FROM without SMTPUTF8: 553 5.6.7; with SMTPUTF8: accepted', async (t) => {
  const c = await open();
  t.match(await raw(c, Buffer.from('MAIL FROM:<jörg@client.test>', 'utf8')), /^553 5\.6\.7 .*SMTPUTF8/);
  t.match(await raw(c, Buffer.from('MAIL FROM:<jörg@client.test> SMTPUTF8', 'utf8')), /^250/);
  t.match(await c.command('RSET'), /^250/);
  t.match(await c.command('MAIL FROM:<a@client.test>'), /^250/);
  t.match(await raw(c, Buffer.from('RCPT TO:<jörg@example.test>', 'utf8')), /^553 5\.6\.7/, 'a UTF-8 recipient in a transaction without SMTPUTF8 too');
  c.close();
});

t.test('invalid UTF-8 in an address: 501 with a clear text, nothing stored with U+FFFD', async (t) => {
  const c = await open();
  const bad = Buffer.concat([Buffer.from('MAIL FROM:<j'), Buffer.from([0xff, 0xfe]), Buffer.from('rg@client.test> SMTPUTF8')]);
  t.match(await raw(c, bad), /^501 5\.1\.7 .*not valid UTF-8/);
  t.match(await c.command('MAIL FROM:<a@client.test> SMTPUTF8'), /^250/, 'the session goes on');
  const badRcpt = Buffer.concat([Buffer.from('RCPT TO:<al'), Buffer.from([0xc3, 0x28]), Buffer.from('ice@example.test>')]);
  t.match(await raw(c, badRcpt), /^501 5\.1\.3 .*not valid UTF-8/);
  c.close();

  // the same sender as a whole transaction: nothing reaches a mailbox (the old code stored it
  // with Return-Path: <j\uFFFD\uFFFDrg@client.test>)
  const d = await open();
  await raw(d, bad);
  const rcpt = await d.command('RCPT TO:<alice@example.test>');
  t.match(rcpt, /^503/, 'no transaction was started');
  if (rcpt.startsWith('250')) {
    await d.command('DATA');
    await d.command('Subject: x\r\n\r\nx\r\n.');
  }
  d.close();
  const stored = await inbox(app, 'alice@example.test');
  t.same(stored.filter((m) => m.content.includes('\uFFFD')).map((m) => m.content.split('\r\n')[0]), [], 'no Return-Path with replacement characters');
  t.equal(stored.length, 0);
});

t.test('AUTH inside a mail transaction: 503 5.5.1', async (t) => {
  const c = await open();
  t.match(await c.command('MAIL FROM:<alice@example.test>'), /^250/);
  const plain = Buffer.from('\0alice@example.test\0pw-alice').toString('base64');
  t.match(await c.command(`AUTH PLAIN ${plain}`), /^503 5\.5\.1 /);
  t.match(await c.command('RSET'), /^250/);
  t.match(await c.command(`AUTH PLAIN ${plain}`), /^235/, 'after RSET the same AUTH succeeds');
  c.close();
});

t.test('a bare CR in DATA is refused with a text that says bare CR', async (t) => {
  const c = await open();
  await c.command('MAIL FROM:<a@client.test>');
  await c.command('RCPT TO:<bob@example.test>');
  t.match(await c.command('DATA'), /^354/);
  c.write('Subject: cr\r\n\r\nline one\rline two\r\n.\r\n');
  const reply = await c.reply();
  t.match(reply, /^550 5\.5\.2 .*bare <CR>/);
  t.notMatch(reply, /bare <LF>/, 'it does not say bare LF');
  c.close();
  t.equal((await inbox(app, 'bob@example.test')).length, 0);
});
