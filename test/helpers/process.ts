/**
 * Runs the appliance as a real child process (its own data directory and ports), for tests and
 * benchmarks that must kill it (-9) or measure it apart from the client, through the CLI
 * (`node bin/mailserver.js start --config FILE --data DIR`). The child is one node process, so a
 * signal sent to it reaches the appliance itself (no npx/tsx wrapper process in between).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openEmbeddedStore } from '../../appliance/store/embedded/index.ts';
import { WORKERS_FILE, type WorkerStatus, type WorkersStatus } from '../../appliance/workers/status-file.ts';

/** The repository root (this file is test/helpers/process.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Free TCP ports on 127.0.0.1: bound on port 0 all at once (so they differ), then released.
 * Another process could take one in between; good enough on a test machine.
 */
/**
 * `n` ports free now, below the kernel's ephemeral range (32768 and up): a port taken from that
 * range can be autobound by any outgoing connection (a PostgreSQL client, a delivery attempt)
 * before the appliance listens on it, and then the listen fails with EADDRINUSE.
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let tries = 0; servers.length < n; tries++) {
      if (tries > 1000) throw new Error(`no ${n} free ports found below 32768`);
      const port = 10_000 + Math.floor(Math.random() * (32_768 - 10_000));
      const s = net.createServer();
      const bound = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (bound) servers.push(s);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

export interface ConfigOptions {
  smtpPort: number;
  pop3Port: number;
  /** Implicit-TLS listeners, when wanted. */
  smtpsPort?: number;
  pop3sPort?: number;
  /** IMAP listener; 0 (the default) lets the system choose, so parallel appliances never collide. */
  imapPort?: number;
  /** LOGIN without TLS on the IMAP listener (benchmarks on loopback). */
  imapInsecureAuth?: boolean;
  /** USER/PASS without TLS on the POP3 listener. */
  pop3InsecureAuth?: boolean;
  hostname?: string;
  /** 'info' is needed to see the `ready` line; the benchmark uses 'warn'. */
  logLevel?: string;
  /** The config's plugin list (e.g. the ingest benchmark with BENCH_FILTERS=1). */
  plugins?: unknown[];
  /** imap.maxSessionsPerIp (connections not logged in yet, per client IP; 0 = no limit). */
  imapMaxSessionsPerIp?: number;
  /** node.workers (default: the config's default, one per core). */
  workers?: number | 'auto';
}

/** Writes a mailserver config module into `dir` and returns its path. */
export function writeConfig(dir: string, o: ConfigOptions): string {
  const file = path.join(dir, 'mailserver.config.ts');
  const core = path.join(REPO_ROOT, 'core', 'index.ts');
  fs.writeFileSync(file, `import { defineConfig } from ${JSON.stringify(core)};
export default defineConfig({
  hostname: ${JSON.stringify(o.hostname ?? 'bench.test')},
  smtp: { listen: ${JSON.stringify([`127.0.0.1:${o.smtpPort}`, ...(o.smtpsPort ? [`127.0.0.1:${o.smtpsPort}*`] : [])])}, maxRecipients: 0 },
  pop3: { listen: ${JSON.stringify([`127.0.0.1:${o.pop3Port}`, ...(o.pop3sPort ? [`127.0.0.1:${o.pop3sPort}*`] : [])])}${o.pop3InsecureAuth ? ', allowInsecureAuth: true' : ''} },
  imap: { listen: ${JSON.stringify([`127.0.0.1:${o.imapPort ?? 0}`])}, allowInsecureAuth: ${!!o.imapInsecureAuth}${o.imapMaxSessionsPerIp !== undefined ? `, maxSessionsPerIp: ${o.imapMaxSessionsPerIp}` : ''} },
  http: { listen: ['127.0.0.1:0'] },
  // these appliances only receive; a DNS server nobody runs keeps any MX lookup on loopback
  delivery: { dnsServers: ['127.0.0.1:9'] },
  log: { level: ${JSON.stringify(o.logLevel ?? 'info')} },${o.workers ? `\n  node: { workers: ${JSON.stringify(o.workers)} },` : ''}${o.plugins ? `\n  plugins: ${JSON.stringify(o.plugins)},` : ''}
});
`);
  return file;
}

/** Creates domains and accounts (address -> password) in a data directory, before start. */
export async function seedStore(dataDir: string, domains: string[], accounts: Record<string, string>): Promise<void> {
  const stores = openEmbeddedStore(dataDir);
  try {
    for (const name of domains) if (!(await stores.domains.get(name))) await stores.domains.create({ name });
    for (const [address, password] of Object.entries(accounts)) {
      const [name, domain] = address.split('@');
      await stores.accounts.create({
        name, domain, password, fullName: '', home: '', quota: 0, smtpAuth: false, apop: false,
        pop3Disabled: false, imapDisabled: false, sharedPath: '', sharedWrite: false,
      });
    }
  } finally {
    await stores.close();
  }
}

/** The appliance is started the way an operator does: `mailserver start --config FILE --data DIR`. */
export function applianceCommand(configFile: string, dataDir: string): string[] {
  return [path.join(REPO_ROOT, 'bin', 'mailserver.js'), 'start', '--config', configFile, '--data', dataDir];
}

export interface LogLine {
  level?: number;
  msg?: string;
  [key: string]: unknown;
}

export class ApplianceProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private err = '';
  private out = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(readonly configFile: string, readonly dataDir: string, opts: SpawnOptions = {}) {
    const command = [process.execPath, ...applianceCommand(configFile, dataDir)];
    // taskset execs the appliance: the pid stays the appliance's
    if (opts.cpus) command.unshift('taskset', '-c', opts.cpus);
    this.child = spawn(command[0], command.slice(1), {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      // not the parent's (tap's loaders); APPLIANCE_NODE_OPTIONS for profiling, e.g. --cpu-prof
      env: { ...process.env, NODE_OPTIONS: process.env.APPLIANCE_NODE_OPTIONS ?? '' },
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  /** Everything the appliance wrote, for failure messages. */
  output(): string {
    return this.err + this.out;
  }

  /** The JSON log lines written so far (pino writes to stderr). */
  logs(): LogLine[] {
    const lines: LogLine[] = [];
    for (const raw of this.err.split('\n')) {
      if (!raw.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(raw) as LogLine);
      } catch {
        // a line still being written
      }
    }
    return lines;
  }

  /** Resolves once the appliance logged `msg` (e.g. 'ready'); rejects if it exits first. */
  async waitForLog(msg: string, timeoutMs = 20_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.logs().find((l) => l.msg === msg);
      if (hit) return hit;
      if (!this.running) throw new Error(`appliance exited (${JSON.stringify(this.exitInfo)}) before logging ${msg}:\n${this.output()}`);
      if (Date.now() > deadline) throw new Error(`appliance did not log ${msg} within ${timeoutMs} ms:\n${this.output()}`);
      await sleep(50);
    }
  }

  /** Resolves once the SMTP port answers with a 220 greeting (for log levels that hide `ready`). */
  async waitForSmtp(port: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`appliance exited (${JSON.stringify(this.exitInfo)}) before listening:\n${this.output()}`);
      if (await greets(port)) return;
      if (Date.now() > deadline) throw new Error(`appliance did not listen on ${port} within ${timeoutMs} ms:\n${this.output()}`);
      await sleep(100);
    }
  }

  /** The worker processes, as the supervisor last wrote them (appliance/workers/status-file.ts). */
  workers(): WorkerStatus[] {
    try {
      return (JSON.parse(fs.readFileSync(path.join(this.dataDir, WORKERS_FILE), 'utf8')) as WorkersStatus).workers;
    } catch {
      return [];
    }
  }

  /** Resolves once `n` workers serve (the supervisor's status file says so). */
  async waitForWorkers(n: number, timeoutMs = 30_000): Promise<WorkerStatus[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const serving = this.workers().filter((w) => w.state === 'serving');
      if (serving.length >= n) return serving;
      if (!this.running) throw new Error(`appliance exited (${JSON.stringify(this.exitInfo)}) before ${n} workers served:\n${this.output()}`);
      if (Date.now() > deadline) throw new Error(`${serving.length} of ${n} workers served within ${timeoutMs} ms:\n${this.output()}`);
      await sleep(50);
    }
  }

  /** CPU seconds (user + system) of the supervisor and its workers alive now. */
  cpuSeconds(): number {
    let sum = 0;
    for (const pid of [this.pid, ...this.workers().map((w) => w.pid).filter(Boolean)]) sum += processCpuSeconds(pid);
    return sum;
  }

  /** SIGKILL: no shutdown code runs, as in a crash. */
  async kill9(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface SpawnOptions {
  /** Pin the appliance to these CPUs (taskset -c LIST, e.g. '0' or '0,1'). */
  cpus?: string;
}

export function spawnAppliance(configFile: string, dataDir: string, opts: SpawnOptions = {}): ApplianceProcess {
  return new ApplianceProcess(configFile, dataDir, opts);
}

/** CPU seconds (user + system) one process has used, from /proc (0 when it is gone). */
export function processCpuSeconds(pid: number): number {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) / 100 : 0; // utime, stime in clock ticks (USER_HZ=100)
}

/** The fields of /proc/PID/stat after the command name (f[1] is the ppid, f[11] utime); null when it is gone. */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * CPU seconds of a process and all its descendants, the exited ones included once their parent
 * has reaped them (cutime, cstime): what a server of short-lived children (Dovecot) costs.
 */
export function processTreeCpuSeconds(root: number): number {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const name of fs.readdirSync('/proc')) {
    const f = /^\d+$/.test(name) ? statFields(name) : null;
    // utime, stime and the reaped children's cutime, cstime
    if (f) stats.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
  }
  let ticks = 0;
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = stats.get(p)?.ppid ?? 0, hops++) if (p === root) return true;
    return false;
  };
  for (const [pid, s] of stats) if (inTree(pid)) ticks += s.ticks;
  return ticks / 100;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Connects, waits for a 220 and says QUIT. */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      if (ok) s.end('QUIT\r\n');
      else s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.on('error', () => done(false));
    s.on('close', () => done(false));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (/^220[ -]/.test(buf)) done(true);
      else if (buf.includes('\r\n')) done(false);
    });
  });
}
