/**
 * SMTP ingest benchmark: Postfix's smtp-source against the appliance and against a throwaway
 * Postfix (bench/postfix-peer.sh) on loopback, one after the other in the same run (the machine
 * has two cores; running them together would measure the contention).
 *
 * Workload: BENCH_MESSAGES (10,000) messages of 4 KB over 50 parallel sessions, a new connection
 * per message (smtp-source's default; BENCH_REUSE=1 adds -d to reuse connections), to a hosted
 * mailbox (bench@y.test) with the appliance's default durable acceptance (250 after fsync).
 * smtp-source runs without -A, so a single rejected message fails the benchmark.
 * After the appliance's run, the messages are counted in its SQLite store.
 *
 *   npm run bench                 (bash bench/smtp-ingest.sh)
 *   BENCH_MESSAGES=2000 npm run bench
 * Env: BENCH_MESSAGES, BENCH_SESSIONS (50), BENCH_SIZE (4096), BENCH_REUSE (unset), BENCH_WARMUP
 * (0: messages sent to each server, untimed, before the measured run), BENCH_ONLY (appliance|postfix),
 * BENCH_KEEP (keep the work directory, with Postfix's maillog, for a post-mortem), BENCH_FILTERS=1
 * (the appliance with antivirus scanning through clamd and a 20-rule mail filter), BENCH_CPUS
 * (pin both servers: taskset -c LIST), BENCH_NODE_WORKERS (node.workers; default 'auto', one per core),
 * BENCH_SCRAPE_MS (GET /metrics this often during the measured run, as Prometheus would; the cost
 * of metrics: `npm run bench:metrics` compares runs with and without).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from '../appliance/store/embedded/sqlite-driver.ts';
import { startFilters } from './filters.ts';
import { REPO_ROOT, freePorts, seedStore, spawnAppliance, writeConfig, type ApplianceProcess } from '../test/helpers/process.ts';
import { workerCount } from '../appliance/workers/count.ts';
import { PEER_SCRIPT, installCleanup, intEnv, runBench } from './run.ts';

const MESSAGES = intEnv('BENCH_MESSAGES', 10_000, 0);
const SESSIONS = intEnv('BENCH_SESSIONS', 50, 0);
const SIZE = intEnv('BENCH_SIZE', 4096, 0);
const WARMUP = intEnv('BENCH_WARMUP', 0, 0);
const REUSE = !!process.env.BENCH_REUSE && process.env.BENCH_REUSE !== '0';
const ONLY = process.env.BENCH_ONLY ?? '';
/** BENCH_FILTERS=1: the appliance runs antivirus (a real clamd, bench/filters.ts) and mailfilter (20 rules). */
const FILTERS = process.env.BENCH_FILTERS === '1';
/** Pin both servers to these CPUs (taskset -c LIST); unset: not pinned. */
const CPUS = process.env.BENCH_CPUS || undefined;
/** node.workers for the appliance (default 'auto': one per core it may run on). */
const WORKERS = process.env.BENCH_NODE_WORKERS ? Number(process.env.BENCH_NODE_WORKERS) : 'auto';
const SCRAPE_MS = intEnv('BENCH_SCRAPE_MS', 0, 0);

/** Scrapes /metrics every SCRAPE_MS until stopped; each scrape must answer 200. */
function startScraper(port: number): { stop(): Promise<{ scrapes: number; meanMs: number }> } {
  let scrapes = 0;
  let totalMs = 0;
  let failure: Error | null = null;
  let busy: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    busy = (async () => {
      const t0 = performance.now();
      const r = await fetch(`http://127.0.0.1:${port}/metrics`);
      await r.text();
      if (r.status !== 200) failure = new Error(`/metrics answered ${r.status}`);
      scrapes++;
      totalMs += performance.now() - t0;
    })().catch((err: Error) => void (failure = err));
  }, SCRAPE_MS);
  return {
    async stop() {
      clearInterval(timer);
      await busy;
      if (failure) throw failure;
      return { scrapes, meanMs: scrapes ? totalMs / scrapes : 0 };
    },
  };
}
const SENDER = 'sender@x.test';
const RECIPIENT = 'bench@y.test';

function findSmtpSource(): string {
  const candidates = [process.env.SMTP_SOURCE, '/usr/sbin/smtp-source', '/usr/bin/smtp-source',
    ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'smtp-source'))];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  throw new Error('smtp-source not found: install Debian\'s postfix package (DEBIAN_FRONTEND=noninteractive apt-get install -y postfix)');
}

// ---- cleanup, on success, failure and signals --------------------------------------------
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smtp-ingest-'));
fs.chmodSync(work, 0o755); // mkdtemp makes it 0700; Postfix's daemons run as the postfix user
let appliance: ApplianceProcess | null = null;
let postfixDir: string | null = null;
const children = new Set<ChildProcess>();

const cleanup = installCleanup('smtp-ingest', work, () => ({ children, appliance, postfixDir }));

// ---- measurement ------------------------------------------------------------------------------
interface Run {
  messages: number;
  seconds: number;
  rate: number;
}

/** Runs smtp-source to completion; fails on a non-zero exit (a rejected message, a lost connection). */
function smtpSource(bin: string, port: number, messages: number, label: string): Promise<Run> {
  const args = ['-s', String(SESSIONS), '-m', String(messages), '-l', String(SIZE), ...(REUSE ? ['-d'] : []),
    '-f', SENDER, '-t', RECIPIENT, `127.0.0.1:${port}`];
  console.log(`smtp-ingest: ${label}: ${path.basename(bin)} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(120_000, messages * 100));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      clearTimeout(timer);
      children.delete(child);
      if (code !== 0) reject(new Error(`${label}: smtp-source failed (exit ${code ?? signal}) after ${seconds.toFixed(1)} s:\n${out.trim()}`));
      else resolve({ messages, seconds, rate: messages / seconds });
    });
  });
}


function countStored(dataDir: string): { count: number; bytes: number } {
  const db = new Database(path.join(dataDir, 'mailserver.db'), { readonly: true });
  try {
    return db.prepare(`SELECT count(*) AS count, coalesce(sum(m.size), 0) AS bytes FROM messages m
      JOIN mailboxes b ON b.id = m.mailbox_id JOIN accounts a ON a.id = b.account_id
      WHERE a.name = ? AND a.domain = ? AND b.name = 'INBOX'`).get(...RECIPIENT.split('@')) as { count: number; bytes: number };
  } finally {
    db.close();
  }
}

async function benchPostfix(bin: string): Promise<Run> {
  const [port] = await freePorts(1);
  postfixDir = path.join(work, 'postfix');
  // pinned the same way as the appliance: Postfix's master and its daemons inherit the CPU set
  const start = ['bash', PEER_SCRIPT, 'start', postfixDir, String(port)];
  if (CPUS) start.unshift('taskset', '-c', CPUS);
  execFileSync(start[0], start.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], timeout: 60_000 });
  try {
    if (WARMUP) await smtpSource(bin, port, WARMUP, 'postfix warm-up');
    return await smtpSource(bin, port, MESSAGES, 'postfix');
  } finally {
    execFileSync('bash', [PEER_SCRIPT, 'stop', postfixDir], { stdio: 'ignore', timeout: 30_000 });
    postfixDir = null;
  }
}

async function benchAppliance(bin: string): Promise<Run & { cpu: number }> {
  const [smtpPort, pop3Port] = await freePorts(2);
  const dataDir = path.join(work, 'appliance-data');
  await seedStore(dataDir, ['y.test'], { [RECIPIENT]: 'bench-password' });
  // 'warn': per-message info lines would be part of the measurement otherwise
  const filters = FILTERS ? await startFilters() : null;
  const configFile = writeConfig(work, { smtpPort, pop3Port, logLevel: 'warn', plugins: filters?.plugins, workers: WORKERS });
  appliance = spawnAppliance(configFile, dataDir, { cpus: CPUS });
  try {
    await appliance.waitForSmtp(smtpPort, 30_000);
    // 'auto' counts the CPUs the appliance may run on: the pinned set, else the machine's
    const workers = WORKERS === 'auto' ? (CPUS ? cpuList(CPUS).length : workerCount('auto')) : WORKERS;
    await appliance.waitForWorkers(workers, 60_000);
    if (WARMUP) await smtpSource(bin, smtpPort, WARMUP, 'appliance warm-up');
    // the port from the listener lines `mailserver start` prints (the log level is 'warn')
    const scraper = SCRAPE_MS ? startScraper(Number(/^http 127\.0\.0\.1:(\d+)$/m.exec(appliance.output())?.[1])) : null;
    const cpu0 = appliance.cpuSeconds();
    const run = await smtpSource(bin, smtpPort, MESSAGES, 'appliance');
    const cpu = appliance.cpuSeconds() - cpu0;
    if (scraper) {
      const s = await scraper.stop();
      console.log(`smtp-ingest: /metrics scraped ${s.scrapes} times during the run (every ${SCRAPE_MS} ms), ${s.meanMs.toFixed(1)} ms each on average`);
    }
    const stored = countStored(dataDir);
    const expected = MESSAGES + WARMUP;
    if (stored.count !== expected) throw new Error(`appliance: ${stored.count} messages stored in ${RECIPIENT}'s INBOX, expected ${expected}`);
    console.log(`smtp-ingest: appliance stored ${stored.count} messages (${(stored.bytes / 1048576).toFixed(1)} MiB) in ${RECIPIENT}'s INBOX; `
      + `appliance CPU (${workers} worker${workers === 1 ? '' : 's'} and the supervisor) ${cpu.toFixed(1)} s over ${run.seconds.toFixed(1)} s (${((100 * cpu) / run.seconds).toFixed(0)}% of one core)`);
    const errors = appliance.logs().filter((l) => (l.level ?? 0) >= 50);
    if (errors.length) throw new Error(`appliance logged errors:\n${errors.slice(0, 5).map((e) => JSON.stringify(e)).join('\n')}`);
    return { ...run, cpu };
  } finally {
    await appliance.stop(3000);
    appliance = null;
    await filters?.close();
  }
}

/** The CPUs of a taskset list ('0', '0,1', '0-3'). */
function cpuList(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

async function main(): Promise<void> {
  if (MESSAGES < 1) throw new Error('BENCH_MESSAGES must be at least 1');
  const bin = findSmtpSource();
  const shape = `${MESSAGES} msgs, ${SIZE % 1024 === 0 ? `${SIZE / 1024} KB` : `${SIZE} bytes`}, ${SESSIONS} sessions${REUSE ? ', reused connections (-d)' : ''}`;
  console.log(`smtp-ingest: ${shape}; work directory ${work}`);
  const app = ONLY === 'postfix' ? null : await benchAppliance(bin);
  if (app) console.log(`smtp-ingest: appliance ${app.rate.toFixed(1)} msg/s (${app.seconds.toFixed(2)} s)`);
  const pf = ONLY === 'appliance' ? null : await benchPostfix(bin);
  if (pf) console.log(`smtp-ingest: postfix ${pf.rate.toFixed(1)} msg/s (${pf.seconds.toFixed(2)} s)`);
  const parts = [app && `appliance ${app.rate.toFixed(1)} msg/s`, pf && `postfix ${pf.rate.toFixed(1)} msg/s`,
    app && pf && `ratio ${(app.rate / pf.rate).toFixed(2)}x`].filter(Boolean);
  console.log(`smtp-ingest: ${parts.join(', ')} (${shape}${CPUS ? `, both pinned to CPUs ${CPUS}` : ''})`);
  // for bench/smtp-scaling.ts
  console.log(`smtp-ingest-result ${JSON.stringify({ cpus: CPUS ?? null, appliance: app?.rate ?? null, postfix: pf?.rate ?? null })}`);
}

runBench('smtp-ingest', main, cleanup);
