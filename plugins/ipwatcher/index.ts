/**
 * ipwatcher (CL-2): moves the cluster's virtual IP to a live node — the seed's E-Post IP Watcher.
 * Every `intervalMs` the node decides whether it should hold the VIP; the holder adds it to
 * `interface` (iproute2) and announces it with gratuitous ARP; a node that stops holding removes it.
 *
 * Leadership: with a PostgreSQL store (or `postgresUrl`), an advisory-lock lease (pg-lease.ts) —
 * no split brain, since a node that loses its session drops the VIP before the lock can pass on.
 * Without PostgreSQL, the seed's scheme (peer-policy.ts): ping the VIP, master takes it at once,
 * slave after a second miss, slave gives it back after `releaseCycle` intervals.
 *
 * TX-7: `deliveryOnlyOnHolder` runs the delivery service only while this node holds the VIP.
 * RX-9: list the node's real IPs in smtp/pop3/imap `hiddenIps` so only the VIP answers; the
 * listeners must bind 0.0.0.0 (or the VIP's subnet) to accept on a VIP that appears later.
 *
 * It is a plugin (listed in `plugins:` like any other, optional, with its own options) that talks
 * to the cluster only through the port the appliance gives it, `api.cluster` (core/cluster.ts):
 * it decides who holds the VIP and says so there; the appliance's cluster code reads it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Type } from '@sinclair/typebox';
import ipaddr from 'ipaddr.js';
import { definePlugin } from '../../core/plugin.ts';
import { AddressManager, type VirtualIp } from './address.ts';
import { Watcher } from './watcher.ts';

const run = promisify(execFile);

export const IpWatcherOptions = Type.Object({
  /** The virtual IP with its prefix length, e.g. "192.168.0.103/24". */
  vip: Type.String({ minLength: 1 }),
  /** The interface it is added to, e.g. "eth0". */
  interface: Type.String({ minLength: 1 }),
  /** Peers' real addresses ("host" or "host:port"; port default: probePort) — pinged before a slave gives the VIP back. */
  peers: Type.Array(Type.String(), { default: [] }),
  /** The port a "ping" connects to (the nodes' SMTP port). Default: the port of smtp.listen[0]. */
  probePort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  /**
   * How often a node that does not hold the VIP looks whether it should (the holder checks its
   * PostgreSQL lease every second, or every interval when shorter). Failover after the holder
   * dies takes about one interval on a PostgreSQL lease, two intervals plus two timeouts with
   * peers (a slave takes the VIP at its second miss). Default 2 s: failover within 10 s either
   * way. The seed's Interval was 30 s (failover after up to a minute).
   */
  intervalMs: Type.Integer({ minimum: 50, default: 2000 }),
  /** Seed PingTimeout (the seed's default was 3 s): how long a probe of the VIP or a peer may take. */
  timeoutMs: Type.Integer({ minimum: 50, default: 1000 }),
  /** Seed Balance: master (0) keeps the VIP; slave (1) takes it only when the master is gone and gives it back. */
  role: Type.Union([Type.Literal('master'), Type.Literal('slave')], { default: 'master' }),
  /** Seed ReleaseTime [60 intervals]: a slave holding the VIP gives it back after this many intervals; 0 = never. */
  releaseCycle: Type.Integer({ minimum: 0, default: 60 }),
  /** TX-7: deliver only while this node holds the VIP. */
  deliveryOnlyOnHolder: Type.Boolean({ default: false }),
  /** auto: postgres when the store is PostgreSQL or postgresUrl is set, else peers. */
  leadership: Type.Union([Type.Literal('auto'), Type.Literal('postgres'), Type.Literal('peers')], { default: 'auto' }),
  /** The PostgreSQL for the lease (default: the store's url). */
  postgresUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  /** Advisory lock key shared by the nodes of one cluster (one key per VIP). */
  lockKey: Type.Integer({ minimum: 1, maximum: 2_147_483_647, default: 0x6d61696c }),
  /** Commands (absolute paths if PATH is unusual); arping null = no gratuitous ARP. */
  ipCommand: Type.String({ default: 'ip' }),
  arpingCommand: Type.Union([Type.String(), Type.Null()], { default: 'arping' }),
});

function parseVip(vip: string, iface: string): VirtualIp {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(vip);
  } catch {
    throw new Error(`ipwatcher: options.vip ${JSON.stringify(vip)} is not an address with a prefix length (e.g. "192.168.0.103/24")`);
  }
  if (parsed[0].kind() !== 'ipv4') throw new Error('ipwatcher: options.vip must be IPv4 (gratuitous ARP is IPv4; the seed too was IPv4 only)');
  return { address: parsed[0].toString(), cidr: `${parsed[0].toString()}/${parsed[1]}`, iface };
}

interface SharedWatcher { key: string; watcher: Watcher; refs: number }
/** The watcher of each running appliance (one cluster role, api.cluster, per appliance). */
const shared = new WeakMap<object, SharedWatcher>();

async function release(role: object, entry: SharedWatcher): Promise<void> {
  if (--entry.refs > 0) return;
  if (shared.get(role) === entry) shared.delete(role);
  await entry.watcher.stop();
}

export default definePlugin({
  name: 'ipwatcher',
  options: IpWatcherOptions,
  async setup(api) {
    const o = api.options;
    const vip = parseVip(o.vip, o.interface);
    const url = o.postgresUrl ?? api.settings.postgresUrl;
    const leadership = o.leadership === 'auto' ? (url ? 'postgres' : 'peers') : o.leadership;
    if (leadership === 'postgres' && !url) throw new Error('ipwatcher: leadership "postgres" needs options.postgresUrl or a postgres store');
    const probePort = o.probePort ?? Number(/:(\d+)\*?$/.exec(api.settings.smtpListen[0] ?? '')?.[1] ?? 25);
    // a config check sets plugins up only to see that their options hold: it must not touch
    // the host's addresses, the lease or the running watcher (the check's data directory is a
    // throw-away one, so the running watcher would not even be found)
    if (api.mode === 'check') return;
    // one watcher per node: the node's other worker processes leave the address to the lead
    if (!api.lead) return;
    try {
      await run(o.ipCommand, ['link', 'show', 'dev', o.interface], { timeout: 5000 });
    } catch (err) {
      throw new Error(`ipwatcher: options.interface ${JSON.stringify(o.interface)}: ${String((err as { stderr?: string }).stderr || (err as Error).message).trim()}`);
    }

    const role = api.cluster;
    if (!role) throw new Error('ipwatcher: this host has no cluster role to report to');
    role.deliveryOnlyOnHolder = o.deliveryOnlyOnHolder;
    const watcherOptions = {
      vip, role, log: api.log, leadership, url, probePort,
      peers: o.peers, intervalMs: o.intervalMs, timeoutMs: o.timeoutMs, watchRole: o.role, releaseCycle: o.releaseCycle, lockKey: o.lockKey, nodeName: api.settings.nodeName,
    } as const;
    // A live config apply sets the plugins up again while the previous generation still runs:
    // the same VIP and lease keep the running watcher (it holds the address and the lease on)
    // and take the new timing, peers and role; only a different VIP or lease starts anew.
    const key = JSON.stringify({ vip: vip.cidr, iface: vip.iface, leadership, url, lockKey: o.lockKey, ip: o.ipCommand, arping: o.arpingCommand, node: api.settings.nodeName });
    const running = shared.get(role);
    if (running && running.key === key) {
      running.watcher.retune(watcherOptions);
      running.refs++;
      api.onClose(() => release(role, running));
      return;
    }
    if (running) {
      shared.delete(role);
      await running.watcher.stop();
    }
    const address = new AddressManager(vip, api.log, { ip: o.ipCommand, arping: o.arpingCommand });
    // a VIP left on the interface by a crash: not ours until the watcher decides so
    if (!running && (await address.present())) {
      api.log.warn({ vip: vip.cidr, iface: vip.iface }, 'ipwatcher: removing a virtual IP left on the interface (by a crash?) until this node takes the lead');
      await address.remove();
    }
    const watcher = new Watcher({ ...watcherOptions, address });
    api.log.info({ vip: vip.cidr, iface: vip.iface, leadership, role: o.role, intervalMs: o.intervalMs }, 'ipwatcher started');
    watcher.start();
    const entry = { key, watcher, refs: 1 };
    shared.set(role, entry);
    api.onClose(() => release(role, entry));
  },
});
