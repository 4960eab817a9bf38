/**
 * A worker killed in the middle of a load (appliance/workers/): the appliance runs with two
 * workers; Postfix's smtp-source sends 2,000 messages and a client of our own sends numbered
 * messages over parallel connections, recording every 250. Once 40% of smtp-source's messages
 * are stored, one worker gets SIGKILL — the lead (which also runs delivery and the config
 * repository) in one test, the other worker in the next. Then:
 *   - sessions on the worker that lived go on (our client has 250s after the kill), and new
 *     connections made after the supervisor saw the death are all served (none refused);
 *   - the supervisor starts the worker again;
 *   - after a clean stop, every acknowledged message is stored exactly once, nothing is stored
 *     that was not sent whole, and the store's bookkeeping is consistent.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from '../appliance/store/embedded/sqlite-driver.ts';
import { RawClient } from './helpers/raw-client.ts';
import { freePorts, seedStore, sleep, spawnAppliance, writeConfig, type ApplianceProcess } from './helpers/process.ts';
import { SMTP_SOURCE, bookkeeping, checkOwnMessages, counts, ownLoad, smtpSource, within } from './helpers/durability.ts';

const SOURCE_RCPT = 'bench@y.test';
const OWN_RCPT = 'dur@y.test';
const PROBE_RCPT = 'probe@y.test';
const SOURCE_MESSAGES = 2000;
const KILL_AT = Math.round(SOURCE_MESSAGES * 0.4);

/** One SMTP session that sends one message; true when it got 250. */
async function sendOne(port: number, seq: number): Promise<boolean> {
  let c: RawClient | null = null;
  try {
    c = await RawClient.connect(port);
    if (!(await c.reply()).startsWith('220')) return false;
    await c.command('EHLO probe.test');
    await c.command('MAIL FROM:<probe@x.test>');
    await c.command(`RCPT TO:<${PROBE_RCPT}>`);
    await c.command('DATA');
    c.write(`Subject: probe ${seq}\r\n\r\nprobe\r\n.\r\n`);
    const ok = (await c.reply(10_000)).startsWith('250');
    await c.command('QUIT');
    return ok;
  } catch {
    return false;
  } finally {
    c?.close();
  }
}

for (const victim of ['lead', 'worker'] as const) {
  t.test(`kill -9 the ${victim} during smtp-source: the other worker serves, every 250 is stored once`, {
    skip: SMTP_SOURCE ? false : 'smtp-source not installed (Debian package postfix)',
    timeout: 90_000,
  }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-workers-crash-'));
    const dataDir = path.join(dir, 'data');
    const stopOwn = { now: false };
    let app: ApplianceProcess | null = null;
    let source: ReturnType<typeof smtpSource> | null = null;
    t.teardown(async () => {
      stopOwn.now = true;
      source?.kill();
      await app?.kill9();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const [smtpPort, pop3Port] = await freePorts(2);
    await seedStore(dataDir, ['y.test'], { [SOURCE_RCPT]: 'pw', [OWN_RCPT]: 'pw', [PROBE_RCPT]: 'pw' });
    app = spawnAppliance(writeConfig(dir, { smtpPort, pop3Port, hostname: 'crash.test', workers: 2 }), dataDir);
    await app.waitForLog('ready');
    const before = await app.waitForWorkers(2);
    const killed = before.find((w) => w.lead === (victim === 'lead'))!;

    source = smtpSource(smtpPort, { messages: SOURCE_MESSAGES, sessions: 20, size: 2048, rcpt: SOURCE_RCPT });
    const own = ownLoad(smtpPort, 8, stopOwn, OWN_RCPT);
    const watcher = new Database(path.join(dataDir, 'mailserver.db'), { readonly: true, fileMustExist: true });
    try {
      const started = Date.now();
      while ((counts(watcher)[SOURCE_RCPT] ?? 0) < KILL_AT) {
        if (Date.now() - started > 30_000) throw new Error(`only ${JSON.stringify(counts(watcher))} stored after 30 s`);
        await sleep(20);
      }
    } finally {
      watcher.close();
    }
    const ackedAtKill = own.state.acked.size;
    process.kill(killed.pid, 'SIGKILL');

    // once the supervisor has seen the death, every new connection is served by a live worker
    const exitLine = `worker ${killed.id} (pid ${killed.pid}) exited (SIGKILL)`;
    for (let i = 0; i < 200 && !app.logs().some((l) => l.msg?.startsWith(exitLine)); i++) await sleep(25);
    t.ok(app.logs().some((l) => l.msg?.startsWith(exitLine)), 'the supervisor logged the death');
    const probes = await Promise.all(Array.from({ length: 10 }, (_, i) => sendOne(smtpPort, i)));
    t.equal(probes.filter((ok) => !ok).length, 0, 'new connections after the death: 10 of 10 served, none refused');
    await sleep(500);
    t.ok(own.state.acked.size > ackedAtKill, `sessions on the other worker went on (${own.state.acked.size - ackedAtKill} more 250s after the kill)`);

    stopOwn.now = true;
    await within(own.done, 20_000);
    if (!(await within(source.done, 20_000))) source.kill();
    const after = await app.waitForWorkers(2);
    const again = after.find((w) => w.id === killed.id)!;
    t.not(again.pid, killed.pid, `the ${victim} was started again`);
    t.equal(again.restarts, 1, 'once');
    await app.stop(15_000);
    t.same(app.logs().filter((l) => (l.level ?? 0) >= 50 && !l.msg?.startsWith(exitLine)).map((l) => `${l.msg}: ${JSON.stringify(l.err ?? '')}`), [], 'no other error was logged');

    const db = new Database(path.join(dataDir, 'mailserver.db'), { fileMustExist: true });
    t.teardown(() => db.close());
    t.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'PRAGMA integrity_check is ok');
    const mine = checkOwnMessages(db, OWN_RCPT, own.state);
    t.same(mine.missing, [], `every one of the ${own.state.acked.size} acknowledged messages is stored`);
    t.same(mine.duplicated, [], 'none is stored twice');
    t.same(mine.unsent, [], 'nothing is stored that was not sent in full');
    t.same(mine.broken, [], 'every stored message is complete');
    const books = bookkeeping(db);
    t.equal(books.orphanBlobs, 0, 'no blob without a message');
    t.same(books.uidNextBehind, [], 'uid_next is above every UID');
    t.same(books.usageWrong, [], 'each account\'s usage is the sum of its messages');
  });
}
