/**
 * Crash durability (DESIGN.md "Storage": a message accepted with 250 is durable before the 250 is
 * sent). The appliance runs as a real child process; Postfix's smtp-source sends 2,000 messages
 * while a client of our own sends numbered messages (X-Seq) over parallel connections and records
 * every sequence number that got a 250 after DATA. Midway the appliance's supervisor gets SIGKILL
 * (with two workers serving; they go with it, none is left behind). After a restart on the same
 * data directory:
 *   - it starts cleanly (logs `ready`, no errors) and accepts mail again;
 *   - every acknowledged message is in its mailbox exactly once, nothing stored was left
 *     unacknowledged-and-unsent, and every stored message is complete (byte-exact body);
 *   - of smtp-source's messages, no more are stored than were sent, each one whole;
 *   - PRAGMA integrity_check is ok and the store's own bookkeeping (blob references, UIDs,
 *     usage) is consistent.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from '../appliance/store/embedded/sqlite-driver.ts';
import { RawClient } from './helpers/raw-client.ts';
import { SMTP_SOURCE, bookkeeping, checkOwnMessages, counts, ownLoad, ownMessage, smtpSource, splitMessage, storedMessages, within } from './helpers/durability.ts';
import { freePorts, seedStore, sleep, spawnAppliance, writeConfig, type ApplianceProcess } from './helpers/process.ts';

const SOURCE_MESSAGES = 2000;
const SOURCE_SESSIONS = 20;
const SOURCE_SIZE = 2048;
const OWN_CONNECTIONS = 8;
const SOURCE_RCPT = 'bench@y.test';
const OWN_RCPT = 'dur@y.test';
const AFTER_RCPT = 'after@y.test';
/** SIGKILL once this share of smtp-source's messages is stored. */
const KILL_AT = Math.round(SOURCE_MESSAGES * 0.4);

t.test('kill -9 during smtp-source: every 250 survives exactly once and the store reopens cleanly', {
  skip: SMTP_SOURCE ? false : 'smtp-source not installed (Debian package postfix)',
  timeout: 60_000,
}, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-durability-'));
  const dataDir = path.join(dir, 'data');
  const procs: ApplianceProcess[] = [];
  const stopOwn = { now: false };
  let source: ReturnType<typeof smtpSource> | null = null;
  t.teardown(async () => {
    stopOwn.now = true;
    source?.kill();
    for (const p of procs) await p.kill9();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const [smtpPort, pop3Port] = await freePorts(2);
  await seedStore(dataDir, ['y.test'], { [SOURCE_RCPT]: 'pw', [OWN_RCPT]: 'pw', [AFTER_RCPT]: 'pw' });
  const configFile = writeConfig(dir, { smtpPort, pop3Port, hostname: 'durability.test', logLevel: 'info', workers: 2 });

  // ---- run 1: load, then SIGKILL midway -----------------------------------------------------
  const first = spawnAppliance(configFile, dataDir);
  procs.push(first);
  await first.waitForLog('ready');
  await first.waitForSmtp(smtpPort);
  const workers = await first.waitForWorkers(2);

  const started = Date.now();
  source = smtpSource(smtpPort, { messages: SOURCE_MESSAGES, sessions: SOURCE_SESSIONS, size: SOURCE_SIZE, rcpt: SOURCE_RCPT });
  const own = ownLoad(smtpPort, OWN_CONNECTIONS, stopOwn, OWN_RCPT);

  // Watch the store (read-only, WAL lets it read beside the writer) until 40% of smtp-source's
  // messages are in; close the watcher before the kill, so the crash is the appliance's alone.
  const watcher = new Database(path.join(dataDir, 'mailserver.db'), { readonly: true, fileMustExist: true });
  let atKill: Record<string, number> = {};
  try {
    for (;;) {
      atKill = counts(watcher);
      if ((atKill[SOURCE_RCPT] ?? 0) >= KILL_AT) break;
      if (!first.running) throw new Error(`appliance exited before the kill:\n${first.output()}`);
      if (Date.now() - started > 20_000) throw new Error(`only ${JSON.stringify(atKill)} stored after 20 s`);
      await sleep(20);
    }
  } finally {
    watcher.close();
  }
  await first.kill9();
  const killedAfter = Date.now() - started;
  // a worker ends when its supervisor's channel closes (Node's cluster module)
  const left = async () => workers.filter((w) => { try { process.kill(w.pid, 0); return true; } catch { return false; } });
  for (let i = 0; i < 100 && (await left()).length; i++) await sleep(50);
  t.same((await left()).map((w) => w.pid), [], 'no worker outlived the supervisor');

  const src = await within(source.done, 15_000);
  if (!src) source.kill();
  await within(own.done, 15_000);
  stopOwn.now = true;
  const { sent, acked, refused, endings } = own.state;
  t.comment(`killed after ${killedAfter} ms; stored at the last look before the kill: ${JSON.stringify(atKill)}`);
  t.comment(`own client: ${sent.size} sent, ${acked.size} acknowledged; connections ended with: ${[...new Set(endings)].join(' | ')}`);
  t.comment(`smtp-source exit ${src?.code}: ${src?.output.trim().split('\n').slice(-2).join(' / ')}`);
  t.not(src?.code, 0, 'smtp-source did not finish: the kill came in the middle of its run');
  t.ok(acked.size > 0, 'our client had messages acknowledged before the kill');
  t.notOk(endings.includes('stopped'), 'our client was still sending when the appliance died');
  t.same(refused, [], 'no message was refused while the appliance ran');

  // ---- run 2: restart on the same data directory ---------------------------------------------
  const second = spawnAppliance(configFile, dataDir);
  procs.push(second);
  await second.waitForLog('ready');
  await second.waitForSmtp(smtpPort);
  const after = await RawClient.connect(smtpPort);
  await after.reply();
  await after.command('EHLO durability.test');
  await after.command('MAIL FROM:<durability@x.test>');
  await after.command(`RCPT TO:<${AFTER_RCPT}>`);
  await after.command('DATA');
  after.write(ownMessage(0, AFTER_RCPT) + '.\r\n');
  t.match(await after.reply(), /^250 /, 'the restarted appliance accepts mail');
  await after.command('QUIT');
  after.close();
  await second.stop();
  const problems = second.logs().filter((l) => (l.level ?? 0) >= 50);
  t.same(problems, [], 'the restart logged no errors');

  // ---- the store ---------------------------------------------------------------------------
  const db = new Database(path.join(dataDir, 'mailserver.db'), { fileMustExist: true });
  t.teardown(() => db.close());
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'PRAGMA integrity_check is ok');

  // our messages: each acknowledged one exactly once, each stored one whole and sent
  const mine = checkOwnMessages(db, OWN_RCPT, own.state);
  t.same(mine.missing, [], `every one of the ${acked.size} acknowledged messages is stored`);
  t.same(mine.duplicated, [], 'no message is stored twice');
  t.same(mine.unsent, [], 'nothing is stored that was not sent in full');
  t.same(mine.broken, [], 'every stored message is complete');
  t.comment(`own client: ${mine.stored} stored = ${acked.size} acknowledged + ${mine.stored - acked.size} committed whose 250 was lost with the process`);

  // smtp-source's messages: at most what it sent, each one whole (they are all alike)
  const theirs = storedMessages(db, SOURCE_RCPT);
  t.ok(theirs.length >= KILL_AT && theirs.length < SOURCE_MESSAGES, `smtp-source: ${theirs.length} stored, between ${KILL_AT} and ${SOURCE_MESSAGES}`);
  const bodies = new Map<string, number>();
  for (const m of theirs) {
    const { body } = splitMessage(m.content);
    bodies.set(body, (bodies.get(body) ?? 0) + 1);
  }
  const [body] = [...bodies.keys()];
  t.equal(bodies.size, 1, 'all of smtp-source\'s stored messages have the same body');
  t.ok(body.length >= SOURCE_SIZE && body.endsWith('X\r\n'), `whole: ${body.length} bytes of body ending in its last line`);
  t.equal(storedMessages(db, AFTER_RCPT).length, 1, 'the message sent after the restart is stored');

  // the store's own bookkeeping survived the crash
  const books = bookkeeping(db);
  t.equal(books.orphanBlobs, 0, 'no blob without a message');
  t.same(books.uidNextBehind, [], 'uid_next is above every UID');
  t.same(books.usageWrong, [], 'each account\'s usage is the sum of its messages');
});
