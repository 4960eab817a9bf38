/**
 * This node's record in the cluster (CF-2): written at start, then a heartbeat every few seconds
 * and at once when it takes or drops the virtual IP. A registry that cannot be reached is
 * warned about once per outage; the node keeps serving.
 */
import os from 'node:os';
import type { AppConfig } from '../../core/config/schema.ts';
import type { Logger } from '../../core/log.ts';
import { buildVersion, configVersion } from './build-info.ts';
import { FileNodeRegistry } from './file-registry.ts';
import { PgNodeRegistry } from './pg-registry.ts';
import type { NodeRecord, NodeRegistry } from './registry.ts';
import type { ClusterRole } from './role.ts';

export const HEARTBEAT_MS = Number(process.env.MAILSERVER_HEARTBEAT_MS) || 5000;

/** The registry the config points at: PostgreSQL's table with a postgres store, else files in the data directory. */
export function openNodeRegistry(config: AppConfig, dataDir: string): NodeRegistry {
  return config.store.kind === 'postgres' ? new PgNodeRegistry(config.store.url) : new FileNodeRegistry(dataDir);
}

function interfaceAddresses(): string[] {
  return Object.values(os.networkInterfaces()).flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a && !a.internal && a.family === 'IPv4')
    .map((a) => a.address);
}

function currentAddresses(listeners: string[]): string[] {
  return [...new Set([...listeners, ...interfaceAddresses()])];
}

export class ClusterNode {
  private timer: NodeJS.Timeout | null = null;
  private failing = false;
  private writing: Promise<void> = Promise.resolve();
  private readonly record: NodeRecord;
  private readonly onRole = () => void this.beat();
  /** The config commit, read again at each beat: a live apply (push, another node's commit) changes it. */
  private readonly currentConfig: () => string;
  private readonly listeners: string[];

  constructor(
    private readonly registry: NodeRegistry,
    private readonly role: ClusterRole,
    private readonly log: Logger,
    opts: { config: AppConfig; dataDir: string; listeners: string[] },
  ) {
    const now = new Date();
    this.currentConfig = () => configVersion(opts.dataDir, opts.config);
    this.listeners = opts.listeners;
    this.record = {
      name: opts.config.node.name,
      version: buildVersion(),
      configCommit: configVersion(opts.dataDir, opts.config),
      startedAt: now,
      heartbeatAt: now,
      addresses: currentAddresses(opts.listeners),
      vip: role.vip,
      pid: process.pid,
    };
  }

  async start(): Promise<void> {
    this.role.on('change', this.onRole);
    await this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Sets the config commit shown by `status` (after a live apply). */
  setConfigCommit(commit: string): void {
    this.record.configCommit = commit;
    void this.beat();
  }

  /** Writes the record now; writes never overlap. */
  beat(): Promise<void> {
    this.writing = this.writing.then(async () => {
      this.record.heartbeatAt = new Date();
      this.record.configCommit = this.currentConfig();
      // what the node holds now, read at each beat: the VIP comes and goes with the ipwatcher,
      // and a VIP the watcher thinks it holds but that is not on an interface is not shown as held
      const addresses = currentAddresses(this.listeners);
      this.record.addresses = addresses;
      this.record.vip = this.role.vip && addresses.includes(this.role.vip) ? this.role.vip : null;
      try {
        await this.registry.put({ ...this.record });
        if (this.failing) this.log.info('cluster: node registry reachable again');
        this.failing = false;
      } catch (err) {
        if (!this.failing) this.log.warn({ err }, 'cluster: cannot record this node in the registry; retrying');
        this.failing = true;
      }
    });
    return this.writing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.role.off('change', this.onRole);
    await this.writing;
    await this.registry.close();
  }
}
