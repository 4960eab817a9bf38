/**
 * A private network for cluster tests (root only): a bridge namespace, N node namespaces and a
 * client namespace, each joined to the bridge by a veth pair, on 10.77.0.0/24 — a subnet that
 * exists only inside these namespaces, so parallel labs never collide and nothing reaches the
 * host's network. Names are unique per lab; everything is removed on destroy() and at exit.
 *
 *   const lab = await createNetLab(2);    // lab.nodes[0].ip = 10.77.0.11, lab.client.ip = 10.77.0.200
 *   const p = lab.spawn(lab.nodes[0], ['node', ...]);
 *   await lab.destroy();
 *
 * Processes in the namespaces reach PostgreSQL through its Unix socket (the file system is
 * shared; network namespaces do not apply to Unix sockets).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const LAB_SUBNET = '10.77.0';
export const LAB_PREFIX = 24;

export interface LabHost {
  name: string;
  /** Namespace name. */
  ns: string;
  ip: string;
  /** The interface inside the namespace. */
  iface: 'eth0';
}

export interface NetLab {
  id: string;
  nodes: LabHost[];
  client: LabHost;
  /** Runs a command in a namespace; rejects with its stderr on failure. */
  exec(host: LabHost, argv: string[], timeoutMs?: number): Promise<string>;
  /** Starts a long-running process in a namespace. */
  spawn(host: LabHost, argv: string[], opts?: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: boolean }): ChildProcess;
  /** Addresses (without prefix) on a host's eth0. */
  addresses(host: LabHost): Promise<string[]>;
  destroy(): Promise<void>;
}

async function ip(args: string[]): Promise<void> {
  try {
    await run('ip', args, { timeout: 10_000 });
  } catch (e) {
    throw new Error(`ip ${args.join(' ')}: ${(e as { stderr?: string }).stderr || (e as Error).message}`);
  }
}

function killAll(ns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const pid of pids) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
    }
  } catch { /* namespace gone */ }
}

function removeSync(namespaces: string[]): void {
  for (const ns of namespaces) killAll(ns);
  for (const ns of namespaces) {
    try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* gone */ }
  }
}

export async function createNetLab(nodeCount: number): Promise<NetLab> {
  if (process.getuid?.() !== 0) throw new Error('network namespace tests need root');
  const id = `${process.pid.toString(36)}${crypto.randomBytes(2).toString('hex')}`;
  const bridgeNs = `ms-${id}-br`;
  const nodes: LabHost[] = Array.from({ length: nodeCount }, (_, i) => ({ name: `n${i + 1}`, ns: `ms-${id}-n${i + 1}`, ip: `${LAB_SUBNET}.${11 + i}`, iface: 'eth0' }));
  const client: LabHost = { name: 'client', ns: `ms-${id}-c`, ip: `${LAB_SUBNET}.200`, iface: 'eth0' };
  const all = [bridgeNs, ...nodes.map((n) => n.ns), client.ns];
  const onExit = () => removeSync(all);
  process.once('exit', onExit);
  try {
    for (const ns of all) {
      await ip(['netns', 'add', ns]);
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await ip(['-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
    await ip(['-n', bridgeNs, 'link', 'set', 'br0', 'up']);
    for (const [i, host] of [...nodes, client].entries()) {
      const port = `p${i}`;
      // the veth pair is made in the bridge namespace with its other end straight in the host's
      await ip(['-n', bridgeNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', host.iface, 'netns', host.ns]);
      await ip(['-n', bridgeNs, 'link', 'set', port, 'master', 'br0', 'up']);
      await ip(['-n', host.ns, 'addr', 'add', `${host.ip}/${LAB_PREFIX}`, 'dev', host.iface]);
      await ip(['-n', host.ns, 'link', 'set', host.iface, 'up']);
    }
  } catch (err) {
    removeSync(all);
    process.removeListener('exit', onExit);
    throw err;
  }

  const lab: NetLab = {
    id,
    nodes,
    client,
    async exec(host, argv, timeoutMs = 20_000) {
      try {
        const { stdout } = await run('ip', ['netns', 'exec', host.ns, ...argv], { timeout: timeoutMs, maxBuffer: 16 << 20 });
        return stdout;
      } catch (e) {
        const err = e as { stderr?: string; stdout?: string; message: string };
        throw new Error(`${argv.join(' ')} in ${host.name}: ${err.stderr || err.message}${err.stdout ? `\n${err.stdout}` : ''}`);
      }
    },
    spawn(host, argv, opts = {}) {
      // `ip netns exec` execs the command in place: the child's pid is the command's own
      return spawn('ip', ['netns', 'exec', host.ns, ...argv], { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd });
    },
    async addresses(host) {
      const { stdout } = await run('ip', ['-n', host.ns, '-o', '-4', 'addr', 'show', 'dev', host.iface]);
      return [...stdout.matchAll(/inet ([0-9.]+)\//g)].map((m) => m[1]);
    },
    async destroy() {
      removeSync(all);
      process.removeListener('exit', onExit);
    },
  };
  return lab;
}

const BIN = fileURLToPath(new URL('../../bin/mailserver.js', import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * An appliance node inside a lab namespace, started as an operator does
 * (`mailserver start --config FILE --data DIR`) with its config written to its data folder.
 */
export class LabAppliance {
  child: ChildProcess | null = null;
  exited: Promise<void> = Promise.resolve();
  private err = '';
  readonly configFile: string;

  constructor(readonly lab: NetLab, readonly host: LabHost, readonly dataDir: string, config: Record<string, unknown>, readonly env: NodeJS.ProcessEnv = {}) {
    fs.mkdirSync(dataDir, { recursive: true });
    this.configFile = path.join(dataDir, 'mailserver.config.ts');
    fs.writeFileSync(this.configFile, `export default ${JSON.stringify(config, null, 2)};\n`);
  }

  start(): this {
    this.err = '';
    const child = this.lab.spawn(this.host, [process.execPath, BIN, 'start', '--config', this.configFile, '--data', this.dataDir], {
      env: { ...process.env, NODE_OPTIONS: '', ...this.env },
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    child.stdout!.resume();
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    return this;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    return this.err;
  }

  /** The JSON log lines (pino on stderr). */
  logs(): { msg?: string; [k: string]: unknown }[] {
    return this.err.split('\n').filter((l) => l.startsWith('{')).flatMap((l) => {
      try { return [JSON.parse(l)]; } catch { return []; }
    });
  }

  async waitForLog(msg: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.logs().some((l) => l.msg === msg)) {
      if (!this.running) throw new Error(`${this.host.name} exited before logging "${msg}":\n${this.err.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`${this.host.name} did not log "${msg}" within ${timeoutMs} ms:\n${this.err.slice(-3000)}`);
      await sleep(50);
    }
  }

  async kill9(): Promise<void> {
    if (this.running) this.child!.kill('SIGKILL');
    await this.exited;
  }

  async stop(graceMs = 8000): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGTERM');
    const t = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

/**
 * Samples which nodes carry `vip` every `everyMs` until stopped: the split-brain check
 * (maxHolders must never exceed 1) and the holder over time.
 */
export function watchVip(lab: NetLab, vip: string, everyMs = 100) {
  let stopped = false;
  let maxHolders = 0;
  const samples: { at: number; holders: string[] }[] = [];
  const loop = (async () => {
    while (!stopped) {
      const holders: string[] = [];
      for (const n of lab.nodes) {
        try {
          if ((await lab.addresses(n)).includes(vip)) holders.push(n.name);
        } catch { /* namespace being torn down */ }
      }
      samples.push({ at: Date.now(), holders });
      maxHolders = Math.max(maxHolders, holders.length);
      await sleep(everyMs);
    }
  })();
  return {
    get maxHolders() { return maxHolders; },
    samples,
    holders: () => samples.at(-1)?.holders ?? [],
    /** Resolves when exactly `name` holds the VIP (or rejects after timeoutMs). */
    async waitFor(name: string | null, timeoutMs = 15_000): Promise<number> {
      const start = Date.now();
      for (;;) {
        const last = samples.at(-1);
        if (last && last.at > start && (name === null ? last.holders.length === 0 : last.holders.length === 1 && last.holders[0] === name)) return Date.now() - start;
        if (Date.now() - start > timeoutMs) throw new Error(`VIP not held by ${name ?? 'nobody'} within ${timeoutMs} ms (holders now: ${last?.holders.join(',') || 'none'})`);
        await sleep(50);
      }
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
