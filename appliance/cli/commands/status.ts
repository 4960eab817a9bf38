/**
 * mailserver status [--config FILE] [--data DIR] [--json]
 *
 * CF-2: the nodes of the cluster as they recorded themselves — build version, config commit,
 * heartbeat age, and which node holds the virtual IP (CL-2). Reads the registry the config points
 * at (PostgreSQL with a postgres store, else <data>/cluster/nodes/). A node whose heartbeat is
 * older than 30 s is shown as down. Below the table, the worker processes of the node running on
 * this data directory (appliance/workers/), as its supervisor last wrote them.
 */
import { loadConfig } from '../../../core/config/load.ts';
import { UsageError } from '../../../core/errors.ts';
import { defineCommand, str } from '../command.ts';
import { openNodeRegistry } from '../../cluster/node.ts';
import { PgNodeRegistry } from '../../cluster/pg-registry.ts';
import { DOWN_AFTER_MS, type NodeRecord, type NodeRegistry } from '../../cluster/registry.ts';
import { configFileFrom, storeUrlFor } from '../../environment.ts';
import { readWorkersStatus, type WorkersStatus } from '../../workers/status-file.ts';
import type { Io } from '../io.ts';

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  return `${Math.round(s / 3600)}h ago`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
}

/**
 * The table. `leaseHolders` (PostgreSQL: who holds the ipwatcher lease now) overrides what the
 * records say about the VIP, since a node killed while holding it cannot have updated its record.
 */
export function statusLines(nodes: NodeRecord[], now = Date.now(), leaseHolders?: string[]): string[] {
  if (!nodes.length) return ['no node has recorded itself yet (is the appliance running with this --data / --config?)'];
  const rows = [['NODE', 'STATE', 'ROLE', 'VERSION', 'CONFIG', 'HEARTBEAT', 'STARTED', 'ADDRESSES']];
  for (const n of nodes) {
    const down = now - n.heartbeatAt.getTime() > DOWN_AFTER_MS;
    const holds = leaseHolders ? leaseHolders.includes(n.name) : !!n.vip && !down;
    rows.push([
      // a lease holder whose record shows no VIP has not got the address on an interface
      n.name, down ? 'down' : 'up', holds ? (n.vip ? `vip ${n.vip}` : 'lease, no vip') : '-', n.version, n.configCommit,
      age(now - n.heartbeatAt.getTime()), n.startedAt.toISOString().replace(/\.\d+Z$/, 'Z'), n.addresses.join(',') || '-',
    ]);
  }
  const versions = new Set(nodes.filter((n) => now - n.heartbeatAt.getTime() <= DOWN_AFTER_MS).map((n) => n.version));
  const configs = new Set(nodes.filter((n) => now - n.heartbeatAt.getTime() <= DOWN_AFTER_MS).map((n) => n.configCommit));
  const notes = [];
  if (versions.size > 1) notes.push(`warning: the nodes run ${versions.size} different builds (${[...versions].join(', ')})`);
  if (configs.size > 1) notes.push(`warning: the nodes run ${configs.size} different configs (${[...configs].join(', ')})`);
  return [...table(rows), ...notes];
}

/** The workers of the node on this data directory. */
export function workerLines(status: WorkersStatus, now = Date.now()): string[] {
  const rows = [['WORKER', 'PID', 'ROLE', 'STATE', 'STARTED', 'RESTARTS']];
  for (const w of status.workers) {
    rows.push([String(w.id), w.pid ? String(w.pid) : '-', w.lead ? 'lead' : 'worker', w.state, age(now - Date.parse(w.startedAt)), String(w.restarts)]);
  }
  return [`this node (supervisor pid ${status.supervisor}, up since ${status.startedAt.replace(/\.\d+Z$/, 'Z')}):`, ...table(rows)];
}

/**
 * The config says where the registry is; without one, the store pointer a PostgreSQL node leaves
 * in its data directory (store.json) or MAILSERVER_STORE_URL, else the config found in the
 * current folder (or the defaults: the embedded store's files).
 */
async function registryFor(file: string | undefined, dataDir: string): Promise<NodeRegistry> {
  if (file) return openNodeRegistry((await loadConfig(file)).config, dataDir);
  const url = storeUrlFor(dataDir, { lenient: true });
  if (url) return new PgNodeRegistry(url);
  return openNodeRegistry((await loadConfig()).config, dataDir);
}

/** Every worker of the supervisor running on this data directory serves. */
function allServing(dataDir: string): WorkersStatus | null {
  const status = readWorkersStatus(dataDir);
  return status && status.workers.length && status.workers.every((w) => w.state === 'serving') ? status : null;
}

/** `status --wait-ready SECONDS`: the readiness check of the systemd unit (appliance/systemd/). */
async function waitReady(io: Io, dataDir: string, text: string): Promise<number> {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--wait-ready: expected a number of seconds, got ${JSON.stringify(text)}`);
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const ready = allServing(dataDir);
    if (ready) {
      io.out(`ready: ${ready.workers.length} worker(s) serving (supervisor pid ${ready.supervisor})`);
      return 0;
    }
    if (Date.now() >= deadline) {
      io.err(`mailserver: not ready after ${seconds} s: ${readWorkersStatus(dataDir) ? 'workers still starting' : `no supervisor runs on ${dataDir}`}`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export default defineCommand('status', {
  usage: 'status [--config FILE] [--json] [--data DIR]',
  summary: 'lists the cluster\'s nodes: build version, config commit, heartbeat, virtual IP holder (CF-2)',
  optionHelp: [
    ['--config FILE', 'the config, for where the registry is (default: $MAILSERVER_CONFIG, else ./mailserver.config.ts, else built-in defaults)'],
    ['--json', 'one JSON array instead of the table'],
    ['--wait-ready SECONDS', 'only wait until every worker of the node on --data serves (exit 0), at most SECONDS (exit 1); systemd\'s ExecStartPost'],
  ],
  options: { config: { type: 'string' }, json: { type: 'boolean' }, 'wait-ready': { type: 'string' } },
  positionals: [0, 0],
  async run({ values, ctx, dataDir }) {
    const wait = str(values, 'wait-ready');
    if (wait !== undefined) return waitReady(ctx.io, dataDir, wait);
    const registry = await registryFor(str(values, 'config') ?? configFileFrom(ctx.globals.config), dataDir);
    try {
      let nodes: NodeRecord[];
      let holders: string[] | undefined;
      try {
        nodes = await registry.list();
        holders = await registry.leaseHolders?.();
      } catch (err) {
        throw new UsageError(`cannot read the node registry (${registry instanceof PgNodeRegistry ? 'PostgreSQL' : 'data directory'}): ${(err as Error).message}`);
      }
      if (values.json) {
        ctx.io.out(JSON.stringify(nodes.map((n) => ({
          ...n, down: Date.now() - n.heartbeatAt.getTime() > DOWN_AFTER_MS, ...(holders ? { leaseHolder: holders.includes(n.name) } : {}),
        }))));
      } else {
        for (const line of statusLines(nodes, Date.now(), holders)) ctx.io.out(line);
        // a node that could not apply the cluster's config commit says why
        const configErrors = registry instanceof PgNodeRegistry ? await registry.configErrors().catch(() => []) : [];
        for (const e of configErrors) ctx.io.out(`warning: node ${e.node}: config ${e.error}`);
        const workers = readWorkersStatus(dataDir);
        if (workers) for (const line of ['', ...workerLines(workers)]) ctx.io.out(line);
      }
    } finally {
      await registry.close();
    }
  },
});
