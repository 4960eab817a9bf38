/**
 * The stall: while the attacks run, a second client's NOOPs on SMTP,
 * IMAP and POP3 (a probe in its own process) are answered within 500 ms:
 *  - a 20 MB header folded into 5 M continuation lines, sent to an account with auto-reply and
 *    forward (on main it is accepted after the plugins stall every service for seconds);
 *  - FETCH BODYSTRUCTURE of a stored 7 MB message with 1,000,000 empty MIME parts (stored
 *    directly, as mail from before the limits or from another path would be); the answer is
 *    bounded by message.maxMimeParts.
 */
import t from 'tap';
import { startTestAppliance, seedAccounts, type TestAppliance } from '../helpers/appliance.ts';
import net from 'node:net';
import { RawClient } from '../helpers/raw-client.ts';
import { startStallProbe } from '../helpers/stall-probe.ts';
import { headerBomb, mimeBomb } from '../helpers/bomb-messages.ts';

const WORST_MS = 500;

let app: TestAppliance;
t.before(async () => {
  app = await startTestAppliance({
    pop3: { allowInsecureAuth: true },
    imap: { allowInsecureAuth: true },
    plugins: [{ name: 'autoreply', options: { srs: { mode: 'off' }, accounts: {
      'victim@example.test': { forward: { to: ['elsewhere@remote.test'] }, reply: { text: 'I am away' } },
    } } }],
  });
  await seedAccounts(app, 'example.test', ['victim', 'probe', 'reader']);
});
t.teardown(() => app.close());

/** A bare IMAP client: command() resolves with everything up to the tagged completion. */
async function imapClient(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('latin1');
  let buffer = '';
  let wake = () => {};
  socket.on('data', (d: string) => { buffer += d; wake(); });
  socket.on('close', () => wake());
  const until = async (done: (b: string) => number): Promise<string> => {
    for (;;) {
      const end = done(buffer);
      if (end >= 0) {
        const out = buffer.slice(0, end);
        buffer = buffer.slice(end);
        return out;
      }
      if (socket.destroyed) throw new Error(`closed: ${buffer.slice(0, 200)}`);
      await new Promise<void>((r) => (wake = r));
    }
  };
  await until((b) => (b.includes('\r\n') ? b.indexOf('\r\n') + 2 : -1));
  return {
    command(line: string): Promise<string> {
      const tag = line.split(' ')[0];
      socket.write(`${line}\r\n`);
      return until((b) => {
        const m = new RegExp(`^${tag} (OK|NO|BAD)[^\r\n]*\r\n`, 'm').exec(b);
        return m ? m.index + m[0].length : -1;
      });
    },
    close: () => socket.destroy(),
  };
}

function probe() {
  return startStallProbe({ smtpPort: app.smtpPort, imapPort: app.imapPort, pop3Port: app.pop3Port, user: 'probe@example.test', password: 'pw-probe' });
}

t.test('a 20 MB folded header to an auto-reply/forward account does not stall the services', async (t) => {
  // built before the probe starts: the appliance runs in this process
  const bomb = headerBomb(20_000_000);
  const p = await probe();
  const c = await RawClient.smtp(app.smtpPort);
  await c.command('MAIL FROM:<attacker@remote.test>');
  t.match(await c.command('RCPT TO:<victim@example.test>'), /^250/);
  await c.command('DATA');
  c.write(bomb);
  c.write('.\r\n');
  const reply = await c.reply(120_000);
  c.close();
  const r = await p.stop();
  t.same(r.errors, [], 'the probe kept its connections');
  t.match(reply, /^552 5\.3\.4 .*message\.maxHeaderSize/, 'refused at DATA');
  for (const proto of ['smtp', 'imap', 'pop3'] as const) {
    t.ok(r[proto].count > 0, `${proto} probe answered`);
    t.ok(r[proto].worst! < WORST_MS, `${proto}: worst NOOP delay ${r[proto].worst!.toFixed(0)} ms < ${WORST_MS} ms`);
  }
});

t.test('FETCH BODYSTRUCTURE of a stored million-part message does not stall the services', async (t) => {
  const acct = (await app.store.accounts.get('reader@example.test'))!;
  await app.store.mail.deliver({ accountIds: [acct.id], content: mimeBomb(1_000_000, 'reader@example.test'), internalDate: new Date() });
  // the stored copy is read back by the appliance; nothing big is left for this process to build
  const p = await probe();
  const imap = await imapClient(app.imapPort);
  t.match(await imap.command('a LOGIN reader@example.test pw-reader'), /^a OK/m);
  t.match(await imap.command('b SELECT INBOX'), /^b OK/m);
  const answer = await imap.command('c UID FETCH 1:* (BODYSTRUCTURE)');
  imap.close();
  const r = await p.stop();
  t.same(r.errors, [], 'the probe kept its connections');
  t.match(answer, /^c OK/m);
  const parts = answer.split('("TEXT" "PLAIN"').length - 1;
  t.ok(parts > 0 && parts < 10_000, `BODYSTRUCTURE lists ${parts} parts, capped by message.maxMimeParts`);
  t.ok(answer.length < 2_000_000, `BODYSTRUCTURE answer is ${answer.length} bytes`);
  for (const proto of ['smtp', 'imap', 'pop3'] as const) {
    t.ok(r[proto].count > 0, `${proto} probe answered`);
    t.ok(r[proto].worst! < WORST_MS, `${proto}: worst NOOP delay ${r[proto].worst!.toFixed(0)} ms < ${WORST_MS} ms`);
  }
});
