/**
 * A 100,000-message mailbox does not stall the other sessions of its worker: SELECT and
 * `UID FETCH 1:* (FLAGS)` read the listing in pages and render the response in time slices,
 * giving the event loop back every few milliseconds (appliance/store/shared/pages.ts,
 * appliance/runtime/loop-slice.ts). A probe in its own process (Python) sends NOOPs on SMTP,
 * IMAP and POP3 in a tight loop meanwhile, on the same worker (node.workers 1), and times them.
 * Before the paging, one read of the listing held the loop ~400 ms, SELECT ~700 ms in all, and
 * the FETCH 700–980 ms in one piece: the probe's worst NOOP waited that long.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { freePorts, seedStore, spawnAppliance, writeConfig, type ApplianceProcess } from '../helpers/process.ts';
import { seedBigMailbox } from '../helpers/big-mailbox.ts';
import { startStallProbe } from '../helpers/stall-probe.ts';
import { BenchImap } from '../../bench/imap-client.ts';

const N = 100_000;
/**
 * The worst NOOP round trip allowed. With the paging it was 38–110 ms on the 2-core test
 * machine at load 3–6 (a slice holds the loop ~8 ms; the rest is scheduling: the probe, this
 * test and the appliance share two cores), without it 317–814 ms (one synchronous read of the
 * listing, then the whole FETCH response). 150 ms sits between, so that a loaded CI machine
 * neither fails the fixed appliance nor passes the unfixed one.
 */
const WORST_MS = 150;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'imap-big-mailbox-'));
const data = path.join(work, 'data');
let app: ApplianceProcess;
let ports: { smtp: number; pop3: number; imap: number };

t.before(async () => {
  await seedBigMailbox(data, 'big@big.test', 'pw', N);
  // the probe's own account: its POP3 login must not list the big mailbox
  await seedStore(data, ['big.test'], { 'probe@big.test': 'pw-probe' });
  const [smtp, pop3, imap] = await freePorts(3);
  ports = { smtp, pop3, imap };
  // one worker: the probe's sessions and the big one share its event loop
  const config = writeConfig(work, { smtpPort: smtp, pop3Port: pop3, imapPort: imap, imapInsecureAuth: true, pop3InsecureAuth: true, logLevel: 'warn', workers: 1 });
  app = spawnAppliance(config, data);
  await app.waitForSmtp(smtp, 60_000);
});
t.teardown(async () => {
  await app?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

t.test('SELECT, UID FETCH 1:* (FLAGS) and UID SEARCH UNSEEN of 100,000 messages leave the other sessions answered', async (t) => {
  const c = await BenchImap.connect(ports.imap);
  t.teardown(() => c.close());
  await c.cmd('LOGIN big@big.test pw');
  const probe = await startStallProbe({ smtpPort: ports.smtp, imapPort: ports.imap, pop3Port: ports.pop3, user: 'probe@big.test', password: 'pw-probe', intervalMs: 2 });
  let t0 = performance.now();
  const selected = await c.cmd('SELECT INBOX');
  const selectMs = performance.now() - t0;
  t0 = performance.now();
  const fetched = await c.cmd('UID FETCH 1:* (FLAGS)');
  const fetchMs = performance.now() - t0;
  t0 = performance.now();
  const searched = await c.cmd('UID SEARCH UNSEEN');
  const searchMs = performance.now() - t0;
  const r = await probe.stop();

  t.match(selected, new RegExp(`\\* ${N} EXISTS\r\n`), 'SELECT lists every message');
  // every third message is unseen: the first is message 3
  t.match(selected, new RegExp(`\\* ${N} RECENT\r\n`));
  t.match(selected, /\* OK \[UNSEEN 3\]/);
  const lines = fetched.split('\r\n').filter((l) => l.includes(' FETCH ('));
  t.equal(lines.length, N, 'one FETCH response a message');
  // this session claimed them all as \Recent at SELECT (RFC 3501 §2.3.2)
  t.equal(lines[N - 1], `* ${N} FETCH (UID ${N} FLAGS (\\Seen \\Recent))`, 'the last in order, with its flags');
  const hits = /^\* SEARCH ([\d ]*)\r\n/m.exec(searched)?.[1].split(' ') ?? [];
  t.equal(hits.length, Math.floor(N / 3), 'SEARCH finds every third message unseen');
  t.comment(`SELECT ${selectMs.toFixed(0)} ms, UID FETCH ${fetchMs.toFixed(0)} ms, UID SEARCH UNSEEN ${searchMs.toFixed(0)} ms; probe: ${JSON.stringify(r)}`);
  // the work is heavy enough that holding the loop through either command would break the bound
  t.ok(selectMs > WORST_MS && fetchMs > WORST_MS, `SELECT ${selectMs.toFixed(0)} ms and FETCH ${fetchMs.toFixed(0)} ms both take longer than ${WORST_MS} ms`);
  t.same(r.errors, [], 'the probe kept its connections');
  for (const proto of ['smtp', 'imap', 'pop3'] as const) {
    t.ok(r[proto].count > 0, `${proto} probe answered`);
    t.ok(r[proto].worst! < WORST_MS, `${proto}: worst NOOP ${r[proto].worst!.toFixed(0)} ms < ${WORST_MS} ms (longest: ${JSON.stringify(r[proto].top)})`);
  }
});
