/**
 * A POP3 session lists a message, an IMAP session expunges it, then POP3 RETR (and
 * TOP) of it answers `-ERR [SYS/PERM] … deleted by another session` (RFC 2449 §8, RFC 3206 §4)
 * instead of `-ERR [SYS/TEMP] Internal error`; the session goes on and nothing is logged as an
 * error. A message stored inline and one stored as a file both behave so.
 */
import t from 'tap';
import pino from 'pino';
import { startTestAppliance, seedAccounts } from '../helpers/appliance.ts';
import { RawClient } from '../helpers/raw-client.ts';

const logged: { level: number; msg: string }[] = [];
const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as { level: number; msg: string }) });

const app = await startTestAppliance({ pop3: { allowInsecureAuth: true }, imap: { allowInsecureAuth: true } }, undefined, { log });
t.teardown(() => app.close());
await seedAccounts(app, 'example.test', ['alice']);

async function deliver(body: string): Promise<void> {
  const c = await RawClient.smtp(app.smtpPort);
  await c.command('MAIL FROM:<someone@outside.test>');
  await c.command('RCPT TO:<alice@example.test>');
  await c.command('DATA');
  const r = await c.command(`Subject: soon gone\r\n\r\n${body}\r\n.`);
  if (!r.startsWith('250')) throw new Error(r);
  c.close();
}

async function imap(lines: string[]): Promise<void> {
  const c = await RawClient.connect(app.imapPort);
  await c.line();
  for (const [i, line] of lines.entries()) {
    c.write(`t${i} ${line}\r\n`);
    for (;;) {
      const l = await c.line();
      if (l.startsWith(`t${i} `)) {
        if (!l.startsWith(`t${i} OK`)) throw new Error(`${line}: ${l}`);
        break;
      }
    }
  }
  c.close();
}

t.test('RETR and TOP of a message IMAP expunged: -ERR [SYS/PERM], no error logged', async (t) => {
  await deliver('small');
  await deliver(('x'.repeat(998) + '\r\n').repeat(400)); // over the inline limit: a message file
  const pop = await RawClient.connect(app.pop3Port);
  await pop.line();
  pop.write('USER alice@example.test\r\n');
  t.match(await pop.line(), /^\+OK/);
  pop.write('PASS pw-alice\r\n');
  t.match(await pop.line(), /^\+OK .*2 messages/);

  await imap(['LOGIN alice@example.test pw-alice', 'SELECT INBOX', 'STORE 1:2 +FLAGS.SILENT (\\Deleted)', 'EXPUNGE', 'LOGOUT']);
  const errorsBefore = logged.filter((l) => l.level >= 50).length;

  pop.write('RETR 1\r\n');
  t.match(await pop.line(), /^-ERR \[SYS\/PERM\] Message 1 was deleted by another session/);
  pop.write('TOP 1 0\r\n');
  t.match(await pop.line(), /^-ERR \[SYS\/PERM\] Message 1 was deleted/);
  pop.write('RETR 2\r\n');
  t.match(await pop.line(), /^-ERR \[SYS\/PERM\] Message 2 was deleted by another session/, 'the message file too');
  pop.write('NOOP\r\n');
  t.match(await pop.line(), /^\+OK/, 'the session goes on');
  pop.write('QUIT\r\n');
  t.match(await pop.line(), /^\+OK/);
  pop.close();
  t.same(logged.filter((l) => l.level >= 50).slice(errorsBefore).map((l) => l.msg), [], 'nothing logged as an error');
});
