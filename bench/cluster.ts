/**
 * Cluster benchmark (CL-1), in one run, one set-up after the other on loopback:
 *   A. embedded store, 1 node      B. PostgreSQL store, 1 node      C. PostgreSQL store, 2 nodes
 * For each: (1) SMTP accept rate — Postfix's smtp-source sends BENCH_MESSAGES (2,000) messages of
 * BENCH_SIZE (4 KB) over BENCH_SESSIONS (20) sessions to a hosted mailbox, split evenly over the
 * nodes and run against all of them at once; every message must be stored. (2) delivery rate —
 * BENCH_MESSAGES messages are queued before the nodes start and delivered to Postfix's smtp-sink
 * (exits after the last one) with BENCH_WORKERS (20) transactions per node; the clock runs from
 * the first node's `delivery started` to the sink's exit (the lead delivers while the other
 * workers start: at 2,000 messages nearly all of it). The accept clock starts once every worker
 * of every node serves, so it does not count their start-up.
 * BENCH_ROUNDS (3) rounds, each running A, B and C; prints each run's msg/s and the CPU each
 * node process used, then per set-up the median msg/s and the median of the rounds' ratios to A.
 *
 *   npm run bench:cluster          BENCH_MESSAGES=500 npm run bench:cluster
 * Env: BENCH_MESSAGES, BENCH_SESSIONS, BENCH_SIZE, BENCH_WORKERS, BENCH_ROUNDS, BENCH_KEEP.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Stores } from '../core/store/ports.ts';
import { openEmbeddedStore } from '../appliance/store/embedded/index.ts';
import { openPostgresStore } from '../appliance/store/postgres/index.ts';
import { REPO_ROOT, freePorts, processCpuSeconds, spawnAppliance, type ApplianceProcess } from '../test/helpers/process.ts';
import { startPostgres, type TestPostgres } from '../test/helpers/postgres.ts';
import { installCleanup, intEnv, median, runBench } from './run.ts';
import { workerCount } from '../appliance/workers/count.ts';

const MESSAGES = intEnv('BENCH_MESSAGES', 2000);
const SESSIONS = intEnv('BENCH_SESSIONS', 20);
const SIZE = intEnv('BENCH_SIZE', 4096);
const WORKERS = intEnv('BENCH_WORKERS', 20);
/** Every set-up is measured once a round; the report gives the medians. */
const ROUNDS = intEnv('BENCH_ROUNDS', 3);
const RECIPIENT = 'bench@y.test';
const REMOTE = 'bench@sink.test';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cluster-'));
const children = new Set<ChildProcess>();
const nodes = new Set<ApplianceProcess>();
let pg: TestPostgres | null = null;
const cleanup = installCleanup('cluster', work, () => ({ children: [...children, ...[...nodes].map((n) => n.child)], appliance: null, postfixDir: null }));
process.on('exit', () => {
  if (pg) try { execFileSync('runuser', ['-u', 'postgres', '--', '/usr/lib/postgresql/15/bin/pg_ctl', '-D', path.join(pg.dir, 'data'), '-m', 'immediate', 'stop'], { stdio: 'ignore' }); } catch { /* gone */ }
});

type Setup = { label: string; kind: 'embedded' | 'postgres'; nodes: number };
const SETUPS: Setup[] = [
  { label: 'embedded, 1 node', kind: 'embedded', nodes: 1 },
  { label: 'postgres, 1 node', kind: 'postgres', nodes: 1 },
  { label: 'postgres, 2 nodes', kind: 'postgres', nodes: 2 },
];

/** CPU seconds of the PostgreSQL server: the postmaster and every backend alive now (from /proc). */
function pgCpuSeconds(): number {
  if (!pg) return NaN;
  try {
    const pid = fs.readFileSync(path.join(pg.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0].trim();
    let kids = '';
    try { kids = execFileSync('ps', ['-o', 'pid=', '--ppid', pid], { encoding: 'utf8' }); } catch { /* none */ }
    return [pid, ...kids.split('\n')].map((p) => p.trim()).filter(Boolean).map((p) => processCpuSeconds(Number(p))).reduce((x, y) => x + y, 0);
  } catch {
    return NaN;
  }
}

function message(i: number): Buffer {
  const head = `From: <sender@x.test>\r\nTo: <${REMOTE}>\r\nSubject: bench ${i}\r\n\r\n`;
  const line = 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz012345678\r\n';
  return Buffer.from(head + line.repeat(Math.max(0, Math.floor((SIZE - head.length) / line.length))));
}

async function openStores(s: Setup, dataDir: string, url: string | null): Promise<Stores> {
  return s.kind === 'postgres' ? openPostgresStore({ url: url!, nodeName: 'bench-seed' }) : openEmbeddedStore(dataDir);
}

async function inboxCount(stores: Stores): Promise<number> {
  const acct = await stores.accounts.get(RECIPIENT);
  const box = await stores.mail.mailbox(acct!.id, 'INBOX');
  return (await stores.mail.messages(box!.id)).length;
}

function writeNodeConfig(dir: string, name: string, smtpPort: number, store: unknown, gatewayPort: number | null): string {
  const file = path.join(dir, 'mailserver.config.ts');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, `import { defineConfig } from ${JSON.stringify(path.join(REPO_ROOT, 'core', 'index.ts'))};
export default defineConfig(${JSON.stringify({
    hostname: `${name}.bench.test`,
    node: { name },
    store,
    smtp: { listen: [`127.0.0.1:${smtpPort}`], maxRecipients: 0 },
    pop3: { listen: ['127.0.0.1:0'] },
    imap: { listen: ['127.0.0.1:0'] },
    http: { listen: ['127.0.0.1:0'] },
    delivery: gatewayPort
      ? { workers: WORKERS, perDestination: WORKERS, gateway: `127.0.0.1:${gatewayPort}`, dnsServers: ['127.0.0.1:9'] }
      : { enabled: false },
    log: { level: 'info' },
  })});\n`);
  return file;
}

function smtpSource(port: number, messages: number, sessions: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/sbin/smtp-source', ['-s', String(sessions), '-m', String(messages), '-l', String(SIZE), '-f', 'sender@x.test', '-t', RECIPIENT, `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      children.delete(child);
      if (code === 0) resolve();
      else reject(new Error(`smtp-source exited ${code}: ${err.trim()}`));
    });
  });
}

/** Starts the nodes; with `allWorkers`, resolves only once every worker of every node serves. */
async function startNodes(s: Setup, base: string, url: string | null, gatewayPort: number | null, allWorkers = false): Promise<{ procs: ApplianceProcess[]; ports: number[] }> {
  const ports = await freePorts(s.nodes);
  const procs: ApplianceProcess[] = [];
  for (let i = 0; i < s.nodes; i++) {
    const dir = path.join(base, `node${i + 1}`);
    const store = s.kind === 'postgres' ? { kind: 'postgres', url } : { kind: 'embedded' };
    const proc = spawnAppliance(writeNodeConfig(dir, `node${i + 1}`, ports[i], store, gatewayPort), dir);
    nodes.add(proc);
    procs.push(proc);
  }
  await Promise.all(procs.map((p, i) => p.waitForSmtp(ports[i], 60_000)));
  // (node.workers 'auto': one per core) so that the accept clock does not count the later
  // workers' start-up (module loading, compiling)
  if (allWorkers) await Promise.all(procs.map((p) => p.waitForWorkers(workerCount('auto'), 60_000)));
  return { procs, ports };
}

async function stopNodes(procs: ApplianceProcess[]): Promise<void> {
  for (const p of procs) {
    await p.stop(5000);
    nodes.delete(p);
  }
}

interface Result { rate: number; cpu: number[]; pgCpu: number }
const cpuText = (r: Result) => `node CPU ${r.cpu.map((c) => `${(100 * c).toFixed(0)}%`).join(' + ')}${Number.isNaN(r.pgCpu) ? '' : `, PostgreSQL CPU ${(100 * r.pgCpu).toFixed(0)}%`}`;

async function accept(s: Setup, url: string | null, round: number): Promise<Result> {
  const base = path.join(work, `${s.label.replace(/\W+/g, '-')}-accept-${round}`);
  const seedDir = path.join(base, 'node1');
  const seed = await openStores(s, seedDir, url);
  await seed.domains.create({ name: 'y.test' });
  await seed.accounts.create({ name: 'bench', domain: 'y.test', password: 'x', fullName: '', home: '', quota: 0, smtpAuth: false, apop: false, pop3Disabled: false, imapDisabled: false, sharedPath: '', sharedWrite: false });
  await seed.close();
  const { procs, ports } = await startNodes(s, base, url, null, true);
  try {
    const cpu0 = procs.map((p) => p.cpuSeconds());
    const pg0 = pgCpuSeconds();
    const start = process.hrtime.bigint();
    const per = Math.floor(MESSAGES / s.nodes);
    await Promise.all(ports.map((port, i) => smtpSource(port, i === 0 ? MESSAGES - per * (s.nodes - 1) : per, Math.max(1, Math.round(SESSIONS / s.nodes)))));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = procs.map((p, i) => p.cpuSeconds() - cpu0[i]);
    const pgCpu = (pgCpuSeconds() - pg0) / seconds;
    await stopNodes(procs);
    const check = await openStores(s, seedDir, url);
    const stored = await inboxCount(check);
    await check.close();
    if (stored !== MESSAGES) throw new Error(`${s.label}: ${stored} messages stored, expected ${MESSAGES}`);
    return { rate: MESSAGES / seconds, cpu: cpu.map((c) => c / seconds), pgCpu };
  } finally {
    await stopNodes(procs);
  }
}

async function deliver(s: Setup, url: string | null, round: number): Promise<Result> {
  const base = path.join(work, `${s.label.replace(/\W+/g, '-')}-deliver-${round}`);
  const seed = await openStores(s, path.join(base, 'node1'), url);
  for (let i = 0; i < MESSAGES; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, MESSAGES - i) }, (_, k) => seed.queue.enqueue({ mailFrom: 'sender@x.test', recipients: [REMOTE], content: message(i + k) })));
  }
  await seed.close();
  const [sinkPort] = await freePorts(1);
  const sink = spawn('/usr/sbin/smtp-sink', ['-u', 'nobody', '-M', String(MESSAGES), `127.0.0.1:${sinkPort}`, '256'], { stdio: 'ignore' });
  children.add(sink);
  const sinkDone = new Promise<bigint>((resolve, reject) => sink.on('exit', (code) => {
    children.delete(sink);
    if (code === 0) resolve(process.hrtime.bigint());
    else reject(new Error(`smtp-sink exited ${code}`));
  }));
  await new Promise((r) => setTimeout(r, 300));
  const t0 = process.hrtime.bigint();
  const { procs } = await startNodes(s, base, url, sinkPort);
  try {
    const started = await Promise.all(procs.map((p) => p.waitForLog('delivery started', 60_000)));
    const cpu0 = procs.map((p) => p.cpuSeconds());
    const pg0 = pgCpuSeconds();
    // pino's time is the wall clock: the first node's start, as an offset from t0's wall clock
    const wallAtT0 = Date.now() - Number((process.hrtime.bigint() - t0) / 1_000_000n);
    const firstStart = Math.min(...started.map((l) => l.time as number));
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${s.label}: delivery not finished in 10 minutes`)), 600_000).unref());
    const end = await Promise.race([sinkDone, timeout]);
    const seconds = (Number((end - t0) / 1_000_000n) - (firstStart - wallAtT0)) / 1000;
    const cpu = procs.map((p, i) => (p.cpuSeconds() - cpu0[i]) / seconds);
    return { rate: MESSAGES / seconds, cpu, pgCpu: (pgCpuSeconds() - pg0) / seconds };
  } finally {
    await stopNodes(procs);
  }
}

async function main(): Promise<void> {
  console.log(`cluster: ${MESSAGES} msgs of ${SIZE} bytes; accept over ${SESSIONS} sessions; delivery with ${WORKERS} workers a node; ${os.cpus().length} CPUs; ${ROUNDS} rounds; work ${work}`);
  pg = await startPostgres();
  // rounds[r][k]: set-up k in round r; a round runs every set-up one after the other, so its
  // ratios compare runs minutes apart at most (this shared machine's speed drifts more than that)
  const rounds: { accept: Result; deliver: Result }[][] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const round: { accept: Result; deliver: Result }[] = [];
    for (const s of SETUPS) {
      const url = s.kind === 'postgres' ? await pg.database(`bench_${s.nodes}_${r}_${process.pid}`) : null;
      const a = await accept(s, url, r);
      console.log(`cluster: round ${r}: ${s.label}: accept ${a.rate.toFixed(1)} msg/s (${cpuText(a)})`);
      const durl = s.kind === 'postgres' ? await pg.database(`bench_d${s.nodes}_${r}_${process.pid}`) : null;
      const d = await deliver(s, durl, r);
      console.log(`cluster: round ${r}: ${s.label}: delivery ${d.rate.toFixed(1)} msg/s (${cpuText(d)})`);
      round.push({ accept: a, deliver: d });
    }
    rounds.push(round);
  }
  const ratios = (k: number, what: 'accept' | 'deliver') => rounds.map((round) => round[k][what].rate / round[0][what].rate);
  const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
  console.log(`\ncluster: medians of ${ROUNDS} rounds; vs A: the median of the rounds' ratios (each round's in brackets)`);
  console.log('cluster: setup               accept msg/s   vs A    delivery msg/s   vs A');
  SETUPS.forEach((s, k) => {
    const acc = median(rounds.map((round) => round[k].accept.rate));
    const del = median(rounds.map((round) => round[k].deliver.rate));
    console.log(`cluster: ${s.label.padEnd(20)} ${acc.toFixed(1).padStart(12)} ${median(ratios(k, 'accept')).toFixed(2).padStart(6)}x ${del.toFixed(1).padStart(16)} ${median(ratios(k, 'deliver')).toFixed(2).padStart(6)}x`
      + (k ? `   [accept ${list(ratios(k, 'accept'))}; delivery ${list(ratios(k, 'deliver'))}]` : ''));
  });
  await pg.stop();
  pg = null;
}

runBench('cluster', main, cleanup);
