/**
 * Deadlines: a client trickling one byte at a time keeps an idle timeout
 * from firing, but not the line deadline (Postfix smtpd_per_record_deadline): SMTP inside a
 * command or inside DATA gets `421 4.4.2` and is closed, IMAP `* BYE`, POP3 `-ERR`; a DATA
 * whose lines come quickly but never end is cut at the DATA deadline. The deadlines are set
 * to 3 s here (defaults 5 and 10 minutes).
 */
import net from 'node:net';
import t from 'tap';
import { startTestAppliance, seedAccounts, type TestAppliance } from '../helpers/appliance.ts';
import { validateConfig } from '../../core/config/load.ts';

const startDefaults = validateConfig({});

const DEADLINE = 3000;

interface Trickle { received: string; closedAfterMs: number | null }

/** Connects, sends `setup` lines once the greeting came, then `drip` one byte every 500 ms until closed (at most 10 s). */
function trickle(port: number, setup: string[], drip: string, waitFor?: RegExp): Promise<Trickle> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let received = '';
    let started = 0;
    let timer: NodeJS.Timeout | undefined;
    let i = 0;
    const give = setTimeout(() => finish(null), 10_000);
    const finish = (ms: number | null) => {
      clearTimeout(give);
      clearInterval(timer);
      s.destroy();
      resolve({ received, closedAfterMs: ms });
    };
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      received += d;
      if (!started && (waitFor ?? /\r\n/).test(received)) {
        started = Date.now();
        if (setup.length) s.write(setup.join('\r\n') + '\r\n');
        timer = setInterval(() => s.write(drip[i++ % drip.length]!), 500);
      }
    });
    s.on('close', () => finish(started ? Date.now() - started : null));
    s.on('error', () => undefined);
  });
}

let app: TestAppliance;
t.before(async () => {
  app = await startTestAppliance({
    smtp: { commandDeadlineMs: DEADLINE, dataDeadlineMs: DEADLINE },
    imap: { commandDeadlineMs: DEADLINE },
    pop3: { commandDeadlineMs: DEADLINE },
  });
  await seedAccounts(app, 'example.test', ['alice']);
});
t.teardown(() => app.close());

const inTime = (t: { ok(v: unknown, m: string): void }, r: Trickle, what: string) => {
  t.ok(r.closedAfterMs !== null, `${what}: disconnected (${r.closedAfterMs} ms)`);
  t.ok((r.closedAfterMs ?? Infinity) < DEADLINE + 2000, `${what}: within the deadline`);
};

t.test('SMTP: a command line sent one byte every 500 ms', async (t) => {
  const r = await trickle(app.smtpPort, [], 'EHLO slow.example.test', /^220 /m);
  inTime(t, r, 'smtp command');
  t.match(r.received, /\r\n421 4\.4\.2 .*not completed in time/);
});

t.test('SMTP: a line inside DATA sent one byte every 500 ms', async (t) => {
  const r = await trickle(app.smtpPort, ['EHLO c.test', 'MAIL FROM:<a@remote.test>', 'RCPT TO:<alice@example.test>', 'DATA'], 'Subject: slow', /^220 /m);
  inTime(t, r, 'smtp data line');
  t.match(r.received, /354[^\r\n]*\r\n421 4\.4\.2 /);
});

t.test('SMTP: a DATA of quick lines that never ends', async (t) => {
  // every drip byte is a line of its own, so only the DATA deadline can end it
  const r = await trickle(app.smtpPort, ['EHLO c.test', 'MAIL FROM:<a@remote.test>', 'RCPT TO:<alice@example.test>', 'DATA'], '\n', /^220 /m);
  inTime(t, r, 'smtp data');
  t.match(r.received, /354[^\r\n]*\r\n421 4\.4\.2 .*DATA not completed in time/);
});

t.test('IMAP and POP3: a command line sent one byte every 500 ms', async (t) => {
  const imap = await trickle(app.imapPort, [], 'a1 CAPABILITY');
  inTime(t, imap, 'imap');
  t.match(imap.received, /\* BYE Command line not completed in time/);
  const pop = await trickle(app.pop3Port, [], 'CAPA');
  inTime(t, pop, 'pop3');
  t.match(pop.received, /-ERR Command line not completed in time/);
});

t.test('the defaults', async (t) => {
  const c = app.config;
  t.equal(startDefaults.smtp.commandDeadlineMs, 300_000);
  t.equal(startDefaults.smtp.dataDeadlineMs, 600_000);
  t.equal(startDefaults.imap.commandDeadlineMs, 300_000);
  t.equal(startDefaults.pop3.commandDeadlineMs, 300_000);
  t.equal(c.smtp.commandDeadlineMs, DEADLINE, 'this appliance runs with the test deadline');
});
