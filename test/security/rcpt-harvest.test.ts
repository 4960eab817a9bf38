/**
 * Error limit: Postfix's smtpd_soft_error_limit 10, smtpd_hard_error_limit
 * 20, smtpd_error_sleep_time 1 s, with the shipped defaults. A client pipelining RCPTs to
 * unknown users gets ten quick 550s, then one a second, and at the 20th error `421` and the
 * end of the session: 10,000 RCPTs cannot be answered (address harvesting).
 */
import net from 'node:net';
import t from 'tap';
import { startTestAppliance, seedAccounts } from '../helpers/appliance.ts';

t.test('RCPTs to unknown users: slowed after 10 errors, cut at 20', async (t) => {
  const app = await startTestAppliance({});
  t.teardown(() => app.close());
  await seedAccounts(app, 'example.test', ['alice']);
  t.equal(app.config.smtp.softErrorLimit, 10);
  t.equal(app.config.smtp.hardErrorLimit, 20);
  t.equal(app.config.smtp.errorSleepMs, 1000);

  const replies: { line: string; at: number }[] = [];
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const s = net.connect(app.smtpPort, '127.0.0.1');
    let buf = '';
    let greeted = false;
    const give = setTimeout(() => s.destroy(), 40_000);
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (/^\d{3} /.test(line)) replies.push({ line, at: Date.now() - started });
        if (!greeted && line.startsWith('220 ')) {
          greeted = true;
          const rcpts = Array.from({ length: 10_000 }, (_, n) => `RCPT TO:<nobody${n}@example.test>\r\n`).join('');
          s.write(`EHLO harvester.test\r\nMAIL FROM:<x@remote.test>\r\n${rcpts}`);
        }
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(give);
      resolve();
    });
  });
  const unknown = replies.filter((r) => r.line.startsWith('550 '));
  const last = replies.at(-1)!;
  t.equal(unknown.length, 20, `20 RCPTs answered 550 (of 10,000 sent): ${replies.length} replies`);
  t.match(last.line, /^421 4\.7\.0 .*too many errors/, 'then 421 and the connection closed');
  const quick = unknown[9]!.at - unknown[0]!.at;
  const slowed = unknown[19]!.at - unknown[9]!.at;
  t.ok(quick < 1000, `the first ten come quickly (${quick} ms)`);
  t.ok(slowed >= 9 * 1000, `the next ten one a second (${slowed} ms)`);
});
