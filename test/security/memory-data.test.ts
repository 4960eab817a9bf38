/**
 * Memory per session must not depend on message size. The appliance runs
 * as a child process (so its own /proc/<pid>/status VmRSS/VmHWM can be read apart from the
 * client); real sockets on loopback.
 *   - 8 parallel 30 MB DATA from one IP raise the appliance's peak RSS by less than BOUND (main:
 *     each DATA cost ~3x its size, well over a GB in all);
 *   - a spooled message (over smtp.spoolThreshold) round-trips byte-exact (sha256) through
 *     DATA -> IMAP FETCH BODY.PEEK[] and POP3 RETR, with only the trace headers added;
 *   - 10 IMAP clients that FETCH BODY.PEEK[] of a 30 MB message and do not read, and 10 POP3
 *     clients that RETR it and do not read, raise the peak RSS by less than BOUND (main read the
 *     message and queued it whole per session); when they read on, each gets it all, intact;
 *   - 10 parallel 30 MB IMAP APPENDs raise the peak RSS by less than BOUND (main held each
 *     literal two or three times over), and the appended message comes back byte-exact;
 *   - a client that goes away in the middle of a large DATA or APPEND leaves no spool file, and
 *     spool files left by a crash are removed at start.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, seedStore, spawnAppliance, writeConfig, type ApplianceProcess } from '../helpers/process.ts';
import { BinaryClient, bigMessage, imapAppend, imapFetchBody, imapSelect, memoryOf, pop3Retr, resetPeak, sha256, smtpSend, unstuff } from '../helpers/big-mail.ts';

const MB = 1024 * 1024;
/** Peak RSS above the level before the load. */
const BOUND = 150 * MB;
const USER = 'big@y.test';
const PASS = 'pw-big';
const POP_USERS = Array.from({ length: 10 }, (_, i) => `pop${i}@y.test`);

/** Polls the RSS until it stops growing (no event says when the server has done its part). */
async function settled(pid: number): Promise<void> {
  let last = memoryOf(pid).rss;
  let calm = 0;
  for (let i = 0; i < 100 && calm < 5; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const now = memoryOf(pid).rss;
    calm = now - last < MB ? calm + 1 : 0;
    last = now;
  }
}

let app: ApplianceProcess;
let configFile: string;
// a test run cut short (tap's timeout) skips teardowns: the appliance must not outlive it
process.on('exit', () => app?.child.kill('SIGKILL'));

/**
 * A fresh appliance process on the same data directory: each measurement starts from its own
 * idle level (memory an earlier step freed would hide a later step's growth in the RSS).
 */
async function restart(): Promise<void> {
  await app.stop();
  app = spawnAppliance(configFile, dataDir);
  await app.waitForLog('ready');
}
let ports: { smtp: number; pop3: number; imap: number };
let dataDir: string;
const spoolDir = () => path.join(dataDir, 'spool');
/** The spool files of every worker (each receives into spool/worker-N/). */
function spooled(): string[] {
  if (!fs.existsSync(spoolDir())) return [];
  return fs.readdirSync(spoolDir(), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

t.before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memory-data-'));
  dataDir = path.join(dir, 'data');
  const [smtp, pop3, imap] = await freePorts(3);
  ports = { smtp, pop3, imap };
  // one worker: the bound is per process (each worker of a node would add its own baseline)
  const config = (configFile = writeConfig(dir, { smtpPort: smtp, pop3Port: pop3, imapPort: imap, imapInsecureAuth: true, pop3InsecureAuth: true, workers: 1 }));
  await seedStore(dataDir, ['y.test'], { [USER]: PASS, ...Object.fromEntries(POP_USERS.map((u) => [u, 'pw-pop'])) });
  // a spool file as a crash would leave it
  fs.mkdirSync(spoolDir(), { recursive: true });
  fs.writeFileSync(path.join(spoolDir(), 'left-by-a-crash'), 'partial message');
  app = spawnAppliance(config, dataDir);
  t.teardown(async () => {
    await app?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await app.waitForLog('ready');
});

const small = bigMessage(3 * MB, 'roundtrip');
const big = Array.from({ length: 8 }, (_, i) => bigMessage(30 * MB, `big-${i}`));

t.test('spool files left by a crash are removed at start', async (t) => {
  t.same(spooled(), [], 'spool empty after start');
  t.ok(app.logs().some((l) => l.msg === 'removed spool files left by an interrupted run'), 'and it says so');
});

t.test('a 3 MB message round-trips byte-exact through DATA, IMAP FETCH and POP3 RETR', async (t) => {
  t.match(await smtpSend(ports.smtp, 'sender@x.test', USER, small), /^250 /);
  const imap = await imapSelect(ports.imap, USER, PASS);
  await imap.write('c FETCH 1 BODY.PEEK[]\r\n');
  const fetched = await imapFetchBody(imap, 'c');
  imap.close();
  const retr = await pop3Retr(ports.pop3, USER, PASS, 1);
  t.equal(sha256(retr), sha256(fetched), 'RETR and FETCH give the same bytes');
  t.equal(sha256(fetched.subarray(fetched.length - small.length)), sha256(small), 'the message as sent, at the end');
  const added = fetched.subarray(0, fetched.length - small.length).toString('latin1');
  t.match(added, /^Return-Path: <sender@x\.test>\r\nReceived: from client\.test [^]*\r\n$/, 'only the trace headers in front');
  t.notMatch(added, /\r\n\r\n/, 'no blank line in the trace headers');
});

t.test('8 parallel 30 MB DATA from one IP: peak RSS does not grow with the messages', async (t) => {
  const before = memoryOf(app.pid).rss;
  resetPeak(app.pid);
  // the first also to the POP3 accounts (one stored copy, shared)
  const replies = await Promise.all(big.map((m, i) => smtpSend(ports.smtp, 'sender@x.test', i ? USER : [USER, ...POP_USERS], m)));
  const grew = memoryOf(app.pid).peak - before;
  t.comment(`peak RSS +${(grew / MB).toFixed(0)} MB for 8 x 30 MB`);
  for (const r of replies) t.match(r, /^250 /, 'accepted');
  t.ok(grew < BOUND, `peak RSS grew ${(grew / MB).toFixed(0)} MB (bound ${BOUND / MB} MB)`);
  t.same(spooled(), [], 'no spool file left');
});

t.test('10 IMAP clients FETCH BODY.PEEK[] of a 30 MB message and do not read', async (t) => {
  await restart();
  const clients: BinaryClient[] = [];
  for (let i = 0; i < 10; i++) clients.push(await imapSelect(ports.imap, USER, PASS));
  // measured from here: logins (scrypt) are not what this is about
  const before = memoryOf(app.pid).rss;
  resetPeak(app.pid);
  // message 2 is the first 30 MB one
  for (const c of clients) await c.write('f FETCH 2 BODY.PEEK[]\r\n');
  // the server is sending to each (some bytes arrived), then nobody reads
  await Promise.all(clients.map((c) => c.receivedAtLeast(64 * 1024)));
  for (const c of clients) c.socket.pause();
  await settled(app.pid);
  const grew = memoryOf(app.pid).peak - before;
  t.comment(`peak RSS +${(grew / MB).toFixed(0)} MB for 10 stalled FETCHes`);
  t.ok(grew < BOUND, `peak RSS grew ${(grew / MB).toFixed(0)} MB (bound ${BOUND / MB} MB)`);
  for (const c of clients) c.socket.resume();
  const bodies = await Promise.all(clients.map((c) => imapFetchBody(c, 'f')));
  for (const c of clients) c.close();
  // message 2 is one of the eight (they were stored in parallel)
  const sent = new Set(big.map(sha256));
  for (const b of bodies) t.ok(sent.has(sha256(b.subarray(b.length - big[0].length))), 'whole message once read');
  t.equal(new Set(bodies.map(sha256)).size, 1, 'all ten the same');
});

t.test('10 IMAP clients list the folder (ENVELOPE, BODY.PEEK[HEADER]) of 30 MB messages', async (t) => {
  await restart();
  const clients: BinaryClient[] = [];
  for (let i = 0; i < 10; i++) clients.push(await imapSelect(ports.imap, USER, PASS));
  const before = memoryOf(app.pid).rss;
  resetPeak(app.pid);
  // messages 2..9 are the eight 30 MB ones
  for (const c of clients) await c.write('h FETCH 2:9 (ENVELOPE BODY.PEEK[HEADER])\r\n');
  const replies = (await Promise.all(clients.map((c) => c.lineMatching(/^h /)))).map((b) => b.toString('latin1'));
  const grew = memoryOf(app.pid).peak - before;
  t.comment(`peak RSS +${(grew / MB).toFixed(0)} MB for 10 x 8 header FETCHes`);
  t.ok(grew < BOUND, `peak RSS grew ${(grew / MB).toFixed(0)} MB (bound ${BOUND / MB} MB)`);
  for (const r of replies) {
    t.match(r, /^h OK/m, 'done');
    t.equal(r.match(/ENVELOPE \((NIL|"[^"]*") "big big-\d"/g)?.length, 8, 'eight envelopes with their subjects');
    // each header literal: the trace headers, the message's four, and the blank line
    const headers = [...r.matchAll(/BODY\[HEADER\] \{(\d+)\}\r\n/g)].map((m) => r.slice(m.index! + m[0].length, m.index! + m[0].length + Number(m[1])));
    t.equal(headers.length, 8, 'eight header sections');
    t.ok(headers.every((h) => /^Return-Path: [^]*\r\nSubject: big big-\d\r\nMessage-ID: <big-\d@x\.test>\r\n\r\n$/.test(h)), 'each one the whole header section, and no more');
  }
  for (const c of clients) c.close();
});

t.test('10 POP3 clients RETR a 30 MB message and do not read', async (t) => {
  await restart();
  // one maildrop lock per account (RFC 1939 §8): ten accounts that got the same message
  const clients: BinaryClient[] = [];
  for (const user of POP_USERS) {
    const c = await BinaryClient.connect(ports.pop3);
    await c.lineMatching(/^\+OK/);
    for (const line of [`USER ${user}`, `PASS pw-pop`]) {
      await c.write(line + '\r\n');
      t.match((await c.lineMatching(/^[+-]/)).toString('latin1'), /^\+OK/);
    }
    clients.push(c);
  }
  const before = memoryOf(app.pid).rss;
  resetPeak(app.pid);
  for (const c of clients) await c.write('RETR 1\r\n');
  await Promise.all(clients.map((c) => c.receivedAtLeast(64 * 1024)));
  for (const c of clients) c.socket.pause();
  await settled(app.pid);
  const grew = memoryOf(app.pid).peak - before;
  t.comment(`peak RSS +${(grew / MB).toFixed(0)} MB for 10 stalled RETRs`);
  t.ok(grew < BOUND, `peak RSS grew ${(grew / MB).toFixed(0)} MB (bound ${BOUND / MB} MB)`);
  for (const c of clients) c.socket.resume();
  const want = sha256(big[0]);
  for (const c of clients) {
    const raw = await c.endingWith(Buffer.from('\r\n.\r\n'), 120_000);
    const body = unstuff(raw.subarray(raw.indexOf('\r\n') + 2));
    t.equal(sha256(body.subarray(body.length - big[0].length)), want, 'whole message once read');
  }
  // TOP of the 30 MB message: its header section, read without the rest
  await clients[0].write('TOP 1 0\r\n');
  const top = (await clients[0].endingWith(Buffer.from('\r\n.\r\n'))).toString('latin1');
  t.match(top, /^\+OK[^\r]*\r\nReturn-Path: [^]*\r\nSubject: big big-0\r\nMessage-ID: <big-0@x\.test>\r\n\r\n\.\r\n$/, 'TOP 1 0 is the header section');
  for (const c of clients) c.close();
});

t.test('a client that goes away during a large DATA leaves no spool file', async (t) => {
  const c = await BinaryClient.connect(ports.smtp);
  const reply = (re: RegExp) => c.lineMatching(re);
  await reply(/^220 /);
  for (const [line, want] of [['EHLO gone.test', /^250 /], ['MAIL FROM:<gone@x.test>', /^250 /], [`RCPT TO:<${USER}>`, /^250 /], ['DATA', /^354 /]] as const) {
    await c.write(line + '\r\n');
    await reply(want);
  }
  await c.write(big[1].subarray(0, 5 * MB));
  // the appliance has spooled part of it: a file is there
  const deadline = Date.now() + 10_000;
  while (!spooled().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(spooled().length, 1, 'spooling while DATA goes on');
  const mode = fs.statSync(spooled()[0]).mode & 0o777;
  t.equal(mode, 0o600, 'spool file is 0600');
  c.close();
  await app.waitForLog('client went away during DATA, nothing stored');
  t.same(spooled(), [], 'spool file removed');
});

t.test('10 parallel 30 MB IMAP APPENDs', async (t) => {
  await restart();
  const clients: BinaryClient[] = [];
  for (let i = 0; i < 10; i++) clients.push(await imapSelect(ports.imap, USER, PASS));
  const before = memoryOf(app.pid).rss;
  resetPeak(app.pid);
  const messages = clients.map((_, i) => (i < big.length ? big[i] : bigMessage(30 * MB, `append-${i}`)));
  const replies = await Promise.all(clients.map((c, i) => imapAppend(c, `p${i}`, messages[i])));
  const grew = memoryOf(app.pid).peak - before;
  t.comment(`peak RSS +${(grew / MB).toFixed(0)} MB for 10 x 30 MB APPEND`);
  for (const r of replies) t.match(r, /^p\d+ OK \[APPENDUID \d+ \d+\]/m, 'appended');
  t.ok(grew < BOUND, `peak RSS grew ${(grew / MB).toFixed(0)} MB (bound ${BOUND / MB} MB)`);
  t.same(spooled(), [], 'no spool file left');
  // the one client 3 appended, fetched back by its UID
  const uid = /APPENDUID \d+ (\d+)/.exec(replies[3])![1];
  await clients[3].write(`u UID FETCH ${uid} BODY.PEEK[]\r\n`);
  t.equal(sha256(await imapFetchBody(clients[3], 'u')), sha256(messages[3]), 'APPENDed message byte-exact');
  for (const c of clients) c.close();
});

t.test('a client that goes away during a large APPEND leaves no spool file', async (t) => {
  const c = await imapSelect(ports.imap, USER, PASS);
  await c.write(`g APPEND INBOX {${30 * MB}}\r\n`);
  await c.lineMatching(/^\+/);
  await c.write(big[2].subarray(0, 5 * MB));
  const deadline = Date.now() + 10_000;
  while (!spooled().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(spooled().length, 1, 'spooling while the literal arrives');
  c.close();
  await app.waitForLog('imap logout');
  const gone = Date.now() + 10_000;
  while (spooled().length && Date.now() < gone) await new Promise((r) => setTimeout(r, 20));
  t.same(spooled(), [], 'spool file removed');
});
