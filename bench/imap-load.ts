/**
 * IMAP load benchmark: BENCH_CLIENTS (50) concurrent clients doing a realistic mix against the
 * appliance and against Dovecot (Debian's dovecot-imapd, set up here on loopback with the same
 * messages), one after the other in the same run. Each client loops: LOGIN, SELECT,
 * UID FETCH 1:* (FLAGS), then 5 rounds of FETCH BODY.PEEK[] of a random message, STORE \Seen,
 * APPEND, IDLE/DONE, UID STORE \Deleted of the appended message and EXPUNGE; LOGOUT.
 * Every command is one operation; the report gives operations/second, p50/p99 latency, the CPU
 * each server's processes spent per operation, and the appliance/Dovecot throughput ratio; then
 * each command's p50 and its share of the clients' time. The loop is closed (a client sends its
 * next command when the last one is answered), so a saturated server's mean latency is
 * clients / throughput (Little's law), and its p50 depends on where the clients wait: Dovecot
 * holds most of them in connect (its login process), so the few in the other commands meet an
 * almost idle server. BENCH_CLIENTS=5 compares the two below saturation.
 *
 * Then both are measured again at one load they can both carry: the same clients and mix, each
 * client's commands started on its own schedule (an open loop) so that together they offer
 * BENCH_PACE (0.7) times the lower of the two closed-loop throughputs; a client behind its
 * schedule sends at once. The p50 there is the latency of a server that is not saturated, the
 * same work a second asked of both. (Order: appliance, Dovecot, Dovecot paced, the appliance
 * started again on its data, warmed up and paced.)
 *
 *   bash bench/imap-load.sh      (or npx tsx bench/imap-load.ts; needs root for Dovecot)
 * Env: BENCH_CLIENTS (50), BENCH_SECONDS (15), BENCH_MESSAGES (100 a mailbox), BENCH_ONLY (appliance|dovecot),
 * BENCH_NODE_WORKERS (node.workers; default 'auto'), BENCH_IMAP_COMPRESS=1 (each session turns on
 * COMPRESS=DEFLATE, RFC 4978, right after LOGIN; Dovecot gets its imap_zlib plugin for it),
 * BENCH_WARMUP (5): seconds of the same mix run against each server before the measured ones and
 * not counted, so the figures are a running server's — not the appliance's JIT compiling its
 * code (in the first seconds V8's compiler threads took about 15% of a worker's CPU), nor
 * Dovecot's first imap processes and index files; BENCH_PACE (0.7; 0: no paced runs)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, processTreeCpuSeconds, seedStore, spawnAppliance, writeConfig, type ApplianceProcess } from '../test/helpers/process.ts';
import { BenchImap } from './imap-client.ts';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100);
const ONLY = process.env.BENCH_ONLY ?? '';
/** node.workers of the appliance (default 'auto': one per core). */
const WORKERS = process.env.BENCH_NODE_WORKERS ? Number(process.env.BENCH_NODE_WORKERS) : undefined;
/** Sessions run under COMPRESS=DEFLATE (where the server offers it). */
const COMPRESS = process.env.BENCH_IMAP_COMPRESS === '1';
const PASSWORD = 'pw';
/** The paced runs' offered load, a fraction of the lower closed-loop throughput (0: none). */
const PACE = Number(process.env.BENCH_PACE ?? 0.7);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-imap-'));
fs.chmodSync(work, 0o755);
const children = new Set<ChildProcess>();
let appliance: ApplianceProcess | null = null;
function cleanup() {
  for (const c of children) c.kill('SIGKILL');
  if (appliance?.running) void appliance.kill9();
  fs.rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

const users = Array.from({ length: CLIENTS }, (_, i) => `bench${i}@bench.test`);

function message(i: number): Buffer {
  const body = Array.from({ length: 60 }, (_, l) => `line ${l} of message ${i}: lorem ipsum dolor sit amet consectetur`).join('\r\n');
  return Buffer.from(`From: Sender <s${i}@example.org>\r\nTo: bench@bench.test\r\nSubject: message ${i}\r\nDate: Sat, 28 Nov 2026 00:00:00 +0000\r\nMessage-ID: <${i}.${Date.now()}@example.org>\r\n\r\n${body}\r\n`);
}

async function seed(port: number): Promise<void> {
  await Promise.all(users.map(async (u) => {
    const c = await BenchImap.connect(port);
    await c.cmd(`LOGIN ${u} ${PASSWORD}`);
    for (let i = 0; i < MESSAGES; i++) await c.cmd('APPEND INBOX', message(i));
    await c.cmd('LOGOUT').catch(() => undefined);
    c.close();
  }));
}

/** cpuPerOp: the server's CPU ms an operation; clientCpuPerOp: this benchmark's own, on the same cores. */
interface Result {
  /** each command's p50 (ms) and its share of the clients' time, in the order first timed */
  commands: string;
  ops: number; seconds: number; p50: number; p99: number; errors: number; compressed: number; sessions: number; cpuPerOp: number; clientCpuPerOp: number }


/**
 * A client's schedule in a paced run: its commands start `CLIENTS / rate` seconds apart (the
 * clients' first ones spread over that interval), so that all of them offer `rate` a second.
 * A client behind its schedule sends at once and takes up the schedule from there (no burst).
 */
function pacer(rate: number, client: number): () => Promise<void> {
  const interval = (CLIENTS / rate) * 1000;
  let next = performance.now() + (client / CLIENTS) * interval;
  return async () => {
    const now = performance.now();
    const wait = next - now;
    next = Math.max(next, now) + interval;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
}

/**
 * The server's CPU ms per operation: its process tree (processTreeCpuSeconds, which counts
 * Dovecot's short-lived imap processes too). Steadier than the throughput on a shared machine.
 */
async function load(port: number, server: number, runFor = SECONDS, rate = 0): Promise<Result> {
  const lat: number[] = [];
  /** the latencies of each command (the first word of what was sent, as `timed` is told) */
  const byCommand = new Map<string, number[]>();
  let errors = 0;
  let compressed = 0;
  let sessions = 0;
  const deadline = performance.now() + runFor * 1000;
  const timedBy = (turn: (() => Promise<void>) | null) => async <T>(command: string, f: () => Promise<T>): Promise<T> => {
    if (turn) await turn();
    const t0 = performance.now();
    const r = await f();
    const ms = performance.now() - t0;
    lat.push(ms);
    let list = byCommand.get(command);
    if (!list) byCommand.set(command, (list = []));
    list.push(ms);
    return r;
  };
  const start = performance.now();
  const cpu0 = processTreeCpuSeconds(server);
  const client0 = process.cpuUsage();
  await Promise.all(users.map(async (u, n) => {
    const timed = timedBy(rate ? pacer(rate, n) : null);
    while (performance.now() < deadline) {
      let c: BenchImap | null = null;
      try {
        c = await timed('connect', () => BenchImap.connect(port));
        const login = await timed('LOGIN', () => c!.cmd(`LOGIN ${u} ${PASSWORD}`));
        sessions++;
        if (COMPRESS) {
          const caps = /\[CAPABILITY [^\]]*\]/.test(login) ? login : await c.cmd('CAPABILITY');
          if (await timed('COMPRESS', () => c!.compress(caps))) compressed++;
        }
        const sel = await timed('SELECT', () => c!.cmd('SELECT INBOX'));
        let exists = Number(/\* (\d+) EXISTS/.exec(sel)?.[1] ?? 0);
        await timed('UID FETCH', () => c!.cmd('UID FETCH 1:* (FLAGS)'));
        for (let round = 0; round < 5 && performance.now() < deadline; round++) {
          const seq = 1 + Math.floor(Math.random() * Math.max(1, exists));
          await timed('FETCH', () => c!.cmd(`FETCH ${seq} (BODY.PEEK[])`));
          await timed('STORE', () => c!.cmd(`STORE ${seq} +FLAGS (\\Seen)`));
          const app = await timed('APPEND', () => c!.cmd('APPEND INBOX', message(n * 1000 + round)));
          await timed('IDLE', () => c!.idle());
          const uid = /APPENDUID \d+ (\d+)/.exec(app)?.[1];
          if (uid) {
            await timed('UID STORE', () => c!.cmd(`UID STORE ${uid} +FLAGS.SILENT (\\Deleted)`));
          } else {
            exists++;
            await timed('UID STORE', () => c!.cmd(`STORE ${exists} +FLAGS.SILENT (\\Deleted)`));
          }
          await timed('EXPUNGE', () => c!.cmd('EXPUNGE'));
        }
        await timed('LOGOUT', () => c!.cmd('LOGOUT'));
      } catch (err) {
        errors++;
        if (errors < 5) console.error(`client ${n}: ${(err as Error).message}`);
      } finally {
        c?.close();
      }
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  const cpuPerOp = Math.round(((processTreeCpuSeconds(server) - cpu0) * 1e6) / lat.length) / 1000;
  const client = process.cpuUsage(client0);
  const clientCpuPerOp = Math.round((client.user + client.system) / lat.length) / 1000;
  const pct = (list: number[], p: number) => Math.round(list[Math.min(list.length - 1, Math.floor(list.length * p))] * 10) / 10;
  lat.sort((a, b) => a - b);
  // and the share of the clients' time each command took: in a closed loop a server that holds
  // clients long in one step (Dovecot's connect) serves the others with fewer sessions competing
  const total = lat.reduce((a, b) => a + b, 0);
  const commands = [...byCommand].map(([command, list]) => {
    list.sort((a, b) => a - b);
    const share = Math.round((100 * list.reduce((a, b) => a + b, 0)) / total);
    return `${command} ${pct(list, 0.5)} (${share}%)`;
  }).join(', ');
  return { commands, ops: Math.round(lat.length / seconds), seconds: Math.round(seconds * 10) / 10, p50: pct(lat, 0.5), p99: pct(lat, 0.99), errors, compressed, sessions, cpuPerOp, clientCpuPerOp };
}

const applianceData = path.join(work, 'appliance');
/** The appliance's ports, the same when it is started again (its config repository keeps the first config). */
let appliancePorts: number[] | null = null;

/** The appliance's run: seeded on the first, warmed up, then closed-loop or paced at `rate`. */
async function runAppliance(rate = 0): Promise<Result> {
  if (!rate) await seedStore(applianceData, ['bench.test'], Object.fromEntries(users.map((u) => [u, PASSWORD])));
  const [smtp, pop3, imap] = (appliancePorts ??= await freePorts(3));
  // every client comes from 127.0.0.1 and logs in at once: the per-IP limit on connections not
  // logged in yet (imap.maxSessionsPerIp, 20) would refuse most of them, as Dovecot's does not
  const config = writeConfig(work, { smtpPort: smtp, pop3Port: pop3, imapPort: imap, imapInsecureAuth: true, logLevel: 'warn', imapMaxSessionsPerIp: 0, workers: WORKERS });
  appliance = spawnAppliance(config, applianceData);
  await appliance.waitForSmtp(smtp);
  try {
    if (!rate) await seed(imap);
    await load(imap, appliance.pid, WARMUP);
    return await load(imap, appliance.pid, SECONDS, rate);
  } finally {
    await appliance.stop();
  }
}

/** Dovecot's run, closed-loop; then paced at the rate `pace` gives for the closed-loop result (0: not). */
async function runDovecot(pace: (closed: Result) => number): Promise<{ closed: Result; paced: Result | null }> {
  const [port] = await freePorts(1);
  const dir = path.join(work, 'dovecot');
  const mail = path.join(dir, 'mail');
  fs.mkdirSync(mail, { recursive: true });
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(mail, 0o777);
  const conf = path.join(dir, 'dovecot.conf');
  fs.writeFileSync(conf, `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
passdb {
  driver = static
  args = password=${PASSWORD}
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${mail}/%u
}
mail_location = maildir:~/Maildir
protocol imap {
  mail_max_userip_connections = 1000
${COMPRESS ? '  mail_plugins = $mail_plugins imap_zlib\n' : ''}}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`);
  const child = spawn('/usr/sbin/dovecot', ['-F', '-c', conf], { stdio: 'inherit' });
  children.add(child);
  for (let i = 0; i < 100; i++) {
    const ok = await BenchImap.connect(port).then((c) => (c.close(), true), () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    await seed(port);
    await load(port, child.pid!, WARMUP);
    const closed = await load(port, child.pid!);
    const rate = pace(closed);
    return { closed, paced: rate ? await load(port, child.pid!, SECONDS, rate) : null };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    children.delete(child);
  }
}

try {
  console.log(`IMAP load: ${CLIENTS} clients, ${SECONDS} s after ${WARMUP} s of warm-up, ${MESSAGES} messages a mailbox${COMPRESS ? ', COMPRESS=DEFLATE' : ''}`);
  const deflated = (r: Result) => (COMPRESS ? `, compressed sessions ${r.compressed}/${r.sessions}` : '');
  const report = (name: string, r: Result) => console.log(`${name} ${r.ops} ops/s, p50 ${r.p50} ms, p99 ${r.p99} ms, CPU ${r.cpuPerOp} ms/op (client ${r.clientCpuPerOp}), errors ${r.errors}${deflated(r)}\n  p50 by command (share of the clients' time): ${r.commands}`);
  const a = ONLY === 'dovecot' ? null : await runAppliance();
  if (a) report('appliance:', a);
  // the paced runs: both servers, so only when both are measured
  const rateFor = (d: Result) => (a && PACE > 0 ? Math.round(PACE * Math.min(a.ops, d.ops)) : 0);
  const dovecot = ONLY === 'appliance' ? null : await runDovecot(rateFor);
  const d = dovecot?.closed ?? null;
  if (d) report('dovecot:  ', d);
  if (a && d) console.log(`ratio appliance/dovecot: ${(a.ops / d.ops).toFixed(2)}x throughput, p99 ${(a.p99 / d.p99).toFixed(2)}x, CPU per op ${(a.cpuPerOp / d.cpuPerOp).toFixed(2)}x`);
  if (a && d && dovecot?.paced) {
    const rate = rateFor(d);
    const ap = await runAppliance(rate);
    console.log(`paced at ${rate} ops/s (${PACE} x the lower throughput), the same load on both:`);
    report('appliance:', ap);
    report('dovecot:  ', dovecot.paced);
    console.log(`paced p50 appliance/dovecot: ${(ap.p50 / dovecot.paced.p50).toFixed(2)}x (${ap.p50} / ${dovecot.paced.p50} ms), p99 ${(ap.p99 / dovecot.paced.p99).toFixed(2)}x`);
  }
} finally {
  cleanup();
}
