/**
 * On a 20 MB tmpfs of its own: below smtp.queueMinFreeBytes MAIL FROM gets
 * 452 4.3.1 (before the client sends the message) and IMAP APPEND NO [OVERQUOTA]; with the check
 * off and the disk really full, DATA gets 452 4.3.1 and APPEND NO [OVERQUOTA] rather than 451 /
 * NO [SERVERBUG]; after space is freed mail is accepted again. And `mailserver start` on a full
 * disk comes up, with a warning naming the data directory, and refuses mail with 452.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import pino from 'pino';
import { startTestAppliance, seedAccounts, tempDir, type TestAppliance } from '../helpers/appliance.ts';
import { freePorts, spawnAppliance, writeConfig } from '../helpers/process.ts';
import { RawClient } from '../helpers/raw-client.ts';

const MB = 1024 * 1024;
const mnt = tempDir('disk-full-');
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', mnt]);
t.teardown(() => {
  execFileSync('umount', ['-l', mnt]);
  fs.rmSync(mnt, { recursive: true, force: true });
});
const dataDir = path.join(mnt, 'data');
const filler = path.join(mnt, 'filler');
const free = () => { const s = fs.statfsSync(mnt); return s.bavail * s.bsize; };

/** Grows the filler until only `leave` bytes are free (0: until ENOSPC). */
function fill(leave = 0): void {
  const fd = fs.openSync(filler, 'a');
  try {
    for (let chunk = MB; chunk >= 4096; chunk /= 4) {
      const buf = Buffer.alloc(chunk);
      try {
        while (free() - chunk >= leave) fs.writeSync(fd, buf);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

async function smtp(port: number, body?: string): Promise<string[]> {
  const c = await RawClient.smtp(port);
  const out = [await c.command('MAIL FROM:<someone@outside.test>')];
  if (out[0]!.startsWith('250') && body !== undefined) {
    out.push(await c.command('RCPT TO:<alice@example.test>'));
    out.push(await c.command('DATA'));
    out.push(await c.command(`Subject: big\r\n\r\n${body}\r\n.`));
  }
  await c.command('QUIT');
  c.close();
  return out.map((r) => r.trim());
}

async function append(app: TestAppliance, message: string): Promise<string> {
  const c = await RawClient.connect(app.imapPort);
  await c.line();
  c.write('a LOGIN alice@example.test pw-alice\r\n');
  while (!(await c.line()).startsWith('a ')) { /* capabilities */ }
  c.write(`b APPEND INBOX {${message.length}+}\r\n${message}\r\n`);
  let l;
  while (!(l = await c.line()).startsWith('b ')) { /* untagged */ }
  c.close();
  return l.trim();
}

const BIG = ('y'.repeat(998) + '\r\n').repeat(400); // over the inline limit: a message file

t.test('below the threshold: 452 4.3.1 at MAIL FROM, NO [OVERQUOTA] on APPEND; full: the same after DATA', async (t) => {
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (l: string) => void warnings.push((JSON.parse(l) as { msg: string }).msg) });
  const app = await startTestAppliance({ smtp: { queueMinFreeBytes: 8 * MB }, imap: { allowInsecureAuth: true } }, dataDir, { log });
  t.teardown(() => app.close());
  await seedAccounts(app, 'example.test', ['alice']);

  t.match(await smtp(app.smtpPort), [/^250/], 'room: MAIL FROM accepted');
  fill(2 * MB);
  const [mail] = await smtp(app.smtpPort, 'x');
  t.match(mail, /^452 4\.3\.1 Insufficient system storage/, 'below smtp.queueMinFreeBytes: 452 4.3.1 at MAIL FROM');
  t.match(await append(app, 'Subject: a\r\n\r\nx\r\n'), /^b NO \[OVERQUOTA\] Not enough disk space/);
  t.ok(warnings.some((w) => w.includes(`disk nearly full`) && w.includes(dataDir)), 'one warning names the data directory');

  // the check off, and the disk really full: the write itself fails with ENOSPC
  const result = await app.apply({ ...app.config, smtp: { ...app.config.smtp, queueMinFreeBytes: 0 } });
  t.ok(result.ok, JSON.stringify(result));
  fill(0);
  const full = await smtp(app.smtpPort, BIG);
  t.match(full, [/^250/, /^250/, /^354/, /^452 4\.3\.1 /], 'ENOSPC while storing: 452 4.3.1, not 451');
  t.match(await append(app, `Subject: b\r\n\r\n${BIG}`), /^b NO \[OVERQUOTA\] /, 'APPEND on ENOSPC: NO [OVERQUOTA], not [SERVERBUG]');

  fs.rmSync(filler);
  await app.apply({ ...app.config, smtp: { ...app.config.smtp, queueMinFreeBytes: 8 * MB } });
  t.match(await smtp(app.smtpPort, 'room again'), [/^250/, /^250/, /^354/, /^250/], 'space freed: accepted again');
  t.match(await append(app, 'Subject: c\r\n\r\nx\r\n'), /^b OK /);
});

t.test('mailserver start on a full disk comes up with a warning naming the path', async (t) => {
  const dir = path.join(mnt, 'cli');
  fs.mkdirSync(dir);
  const [smtpPort, pop3Port] = await freePorts(2);
  const configFile = writeConfig(dir, { smtpPort: smtpPort!, pop3Port: pop3Port!, hostname: 'full.test' });
  const cliData = path.join(dir, 'data');
  let app = spawnAppliance(configFile, cliData);
  t.teardown(() => app.stop());
  await app.waitForLog('ready');
  await app.stop();

  fill(0);
  t.ok(free() < 64 * 1024, `the disk is full (${free()} bytes free)`);
  app = spawnAppliance(configFile, cliData);
  await app.waitForLog('ready');
  const warning = app.logs().find((l) => /disk nearly full/.test(l.msg ?? ''));
  t.ok(warning, 'a warning says the disk is full');
  t.match(warning?.msg, cliData, 'and names the data directory');
  t.match(await smtp(smtpPort!), [/^452 4\.3\.1 /], 'mail is refused with 452 4.3.1');
  await app.stop();
  t.equal(app.child.exitCode, 0, app.output());
  fs.rmSync(filler);
});
