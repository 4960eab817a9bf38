/**
 * SMTP side: a message over a `message.*` limit is read to the end of DATA
 * and refused, 552 5.3.4 for header sizes and counts, 554 5.6.0 for MIME structure, with a
 * text naming the limit; nothing is stored and the session goes on. A message at the limits
 * is accepted.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, inbox, type TestAppliance } from '../helpers/appliance.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { depthBomb, headerBomb, manyHeaders, mimeBomb } from '../helpers/bomb-messages.ts';

let app: TestAppliance;
t.before(async () => {
  app = await startTestAppliance();
  await seedAccounts(app, 'example.test', ['victim']);
});
t.teardown(() => app.close());

async function send(message: Buffer): Promise<{ reply: string; noop: string }> {
  const c = await RawClient.smtp(app.smtpPort);
  await c.command('MAIL FROM:<attacker@remote.test>');
  await c.command('RCPT TO:<victim@example.test>');
  await c.command('DATA');
  c.write(message);
  c.write('.\r\n');
  const reply = await c.reply(60_000);
  const noop = await c.command('NOOP');
  c.close();
  return { reply, noop };
}

const cases: [string, Buffer, RegExp][] = [
  ['a header folded into 2 MB of continuation lines', headerBomb(2_000_000), /^552 5\.3\.4 .*header field is longer than 102400 bytes \(message\.maxHeaderSize\)/],
  ['1,001 header fields', manyHeaders(1001), /^552 5\.3\.4 .*more than 1000 header fields \(message\.maxHeaderCount\)/],
  ['100,000 empty MIME parts', mimeBomb(100_000), /^554 5\.6\.0 .*more than 10000 MIME parts \(message\.maxMimeParts\)/],
  ['multiparts nested 150 deep', depthBomb(150), /^554 5\.6\.0 .*nested deeper than 100 levels \(message\.maxMimeDepth\)/],
];

for (const [name, message, expected] of cases) {
  t.test(`refused at DATA: ${name}`, async (t) => {
    const { reply, noop } = await send(message);
    t.match(reply, expected);
    t.match(noop, /^250/, 'the session goes on');
    t.equal((await inbox(app, 'victim@example.test')).length, 0, 'nothing stored');
  });
}

t.test('a header section over 1 MiB of short fields is refused (message.maxHeaderSectionSize)', async (t) => {
  // 600 fields of 2 KB: each under the field limit, 1.2 MB in all
  let m = 'From: <attacker@remote.test>\r\n';
  for (let i = 0; i < 600; i++) m += `X-Long-${i}: ${'y'.repeat(2000)}\r\n`;
  const { reply } = await send(Buffer.from(`${m}\r\nbody\r\n`));
  t.match(reply, /^552 5\.3\.4 .*header is larger than 1048576 bytes \(message\.maxHeaderSectionSize\)/);
});

t.test('a message at the limits is accepted', async (t) => {
  const { reply } = await send(Buffer.concat([mimeBomb(9_000), Buffer.alloc(0)]));
  t.match(reply, /^250 /);
  const { reply: r2 } = await send(manyHeaders(1000));
  t.match(r2, /^250 /);
  const { reply: r3 } = await send(depthBomb(90));
  t.match(r3, /^250 /);
  t.equal((await inbox(app, 'victim@example.test')).length, 3);
});

t.test('the limits are settings', async (t) => {
  const small = await startTestAppliance({ message: { maxMimeParts: 50 } });
  t.teardown(() => small.close());
  await seedAccounts(small, 'example.test', ['victim']);
  const c = await RawClient.smtp(small.smtpPort);
  await c.command('MAIL FROM:<attacker@remote.test>');
  await c.command('RCPT TO:<victim@example.test>');
  await c.command('DATA');
  c.write(Buffer.concat([mimeBomb(60), Buffer.from('.\r\n')]));
  t.match(await c.reply(), /^554 5\.6\.0 .*more than 50 MIME parts/);
  c.close();
});
