/**
 * The ipwatcher's loop: one decision per interval (once a second while holding on a PostgreSQL
 * lease, to fence quickly), never two at once; takes and drops the VIP through AddressManager
 * and tells the appliance (ClusterRolePort) who holds it.
 */
import type { Logger } from '../../core/log.ts';
import type { ClusterRolePort } from '../../core/cluster.ts';
import type { AddressManager, VirtualIp } from './address.ts';
import { PgLease } from './pg-lease.ts';
import { initialPeerState, peerNeeds, peerStep, type PeerState, type WatchRole } from './peer-policy.ts';
import { parsePeer, tcpProbe } from './probe.ts';

export interface WatcherOptions {
  vip: VirtualIp;
  address: AddressManager;
  role: ClusterRolePort;
  log: Logger;
  leadership: 'postgres' | 'peers';
  url?: string;
  probePort: number;
  peers: string[];
  intervalMs: number;
  timeoutMs: number;
  watchRole: WatchRole;
  releaseCycle: number;
  lockKey: number;
  nodeName: string;
}

export class Watcher {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();
  private holding = false;
  private peerState: PeerState = initialPeerState();
  private readonly lease: PgLease | null;
  private peers: { host: string; port: number }[];
  // postgres leadership
  private heldSince = 0;
  private cooldownUntil = 0;
  private freeSeen = 0;

  constructor(private o: WatcherOptions) {
    this.peers = o.peers.map((p) => parsePeer(p, o.probePort));
    this.lease = o.leadership === 'postgres' ? new PgLease(o.url!, o.lockKey, o.log, o.timeoutMs, o.nodeName) : null;
    // fencing: the moment the lease session is gone, the VIP goes too
    this.lease?.onLost(() => {
      if (this.holding) this.running = this.running.then(() => this.drop('lease session lost'));
    });
  }

  start(): void {
    this.schedule(0);
  }

  /**
   * A live config apply that changes only the watcher's timing, peers or role: the running
   * watcher takes the new values from its next interval and keeps the lease and the address.
   */
  retune(o: Omit<WatcherOptions, 'address'>): void {
    this.o = { ...o, vip: this.o.vip, address: this.o.address, role: this.o.role, leadership: this.o.leadership, url: this.o.url, lockKey: this.o.lockKey, nodeName: this.o.nodeName };
    this.peers = o.peers.map((p) => parsePeer(p, o.probePort));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.running.then(() => this.tick()).catch((err) => this.o.log.error({ err }, 'ipwatcher: check failed'));
      void this.running.then(() => this.schedule(this.holding && this.lease ? Math.min(this.o.intervalMs, 1000) : this.o.intervalMs));
    }, ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.lease) await this.leaseTick(this.lease);
    else await this.peerTick();
    if (this.holding) await this.reassert();
  }

  /**
   * While holding, the address must be on the interface: something else may have removed it
   * (an operator, another program, a network manager). Put it back and say so; when it cannot be
   * put back, step down so that another node takes over instead of nobody serving the VIP.
   */
  private async reassert(): Promise<void> {
    let present: boolean;
    try {
      present = await this.o.address.present();
    } catch (err) {
      this.o.log.error({ err }, 'ipwatcher: cannot read the interface\'s addresses');
      return;
    }
    if (present) return;
    try {
      await this.o.address.add();
      this.o.log.warn({ vip: this.o.vip.cidr, iface: this.o.vip.iface }, 'ipwatcher: the virtual IP was missing from the interface; added it again');
    } catch (err) {
      this.o.log.error({ err, vip: this.o.vip.cidr }, 'ipwatcher: the virtual IP is missing from the interface and cannot be added; stepping down');
      await this.drop('cannot keep the virtual IP on the interface');
      if (this.lease) {
        this.lease.drop();
        this.cooldownUntil = Date.now() + 2 * this.o.intervalMs;
      } else this.peerState = { ...initialPeerState(), cooldown: 2 };
    }
  }

  private async anyPeerAnswers(): Promise<boolean> {
    const answers = await Promise.all(this.peers.map((p) => tcpProbe(p.host, p.port, this.o.timeoutMs)));
    return answers.some(Boolean);
  }

  private async peerTick(): Promise<void> {
    const opts = { role: this.o.watchRole, releaseCycle: this.o.releaseCycle };
    const needs = peerNeeds(this.peerState, opts);
    const obs = {
      vipAnswers: needs.vip ? await tcpProbe(this.o.vip.address, this.o.probePort, this.o.timeoutMs) : undefined,
      peerHealthy: needs.peers ? await this.anyPeerAnswers() : undefined,
    };
    const { state, action } = peerStep(this.peerState, obs, opts);
    this.peerState = state;
    if (action === 'take') await this.take('the virtual IP did not answer');
    if (action === 'release') await this.drop('release cycle: a peer is healthy, giving the virtual IP back');
  }

  private async leaseTick(lease: PgLease): Promise<void> {
    const now = Date.now();
    try {
      if (this.holding) {
        await lease.check();
        const cycleMs = this.o.releaseCycle * this.o.intervalMs;
        if (this.o.watchRole === 'slave' && cycleMs > 0 && now - this.heldSince >= cycleMs && (await this.anyPeerAnswers())) {
          await this.drop('release cycle: a peer is healthy, giving the virtual IP back');
          await lease.release();
          this.cooldownUntil = now + 2 * this.o.intervalMs;
        }
        return;
      }
      if (now < this.cooldownUntil) return;
      if (this.o.watchRole === 'slave') {
        // a slave lets the master go first: it takes the lock only after seeing it free twice
        this.freeSeen = (await lease.isFree()) ? this.freeSeen + 1 : 0;
        if (this.freeSeen < 2) return;
      }
      if (await lease.tryAcquire()) {
        this.freeSeen = 0;
        await this.take('acquired the PostgreSQL lease');
      }
    } catch (err) {
      if (this.holding) await this.drop(`lease check failed: ${(err as Error).message}`);
    }
  }

  private async take(why: string): Promise<void> {
    if (this.stopped) return;
    try {
      await this.o.address.add();
    } catch (err) {
      this.o.log.error({ err }, 'ipwatcher: cannot add the virtual IP');
      this.peerState = initialPeerState();
      this.lease?.drop();
      return;
    }
    this.holding = true;
    this.heldSince = Date.now();
    this.o.role.setVip(this.o.vip.address);
    this.o.log.warn({ vip: this.o.vip.cidr, iface: this.o.vip.iface, why }, 'ipwatcher: this node now holds the virtual IP');
  }

  private async drop(why: string): Promise<void> {
    if (!this.holding) return;
    this.holding = false;
    this.peerState = { ...initialPeerState(), cooldown: this.peerState.cooldown };
    // delivery stops before the address goes, so nothing new starts on a node about to lose it
    this.o.role.setVip(null);
    try {
      await this.o.address.remove();
    } catch (err) {
      this.o.log.error({ err }, 'ipwatcher: cannot remove the virtual IP');
    }
    this.o.log.warn({ vip: this.o.vip.cidr, why }, 'ipwatcher: this node gave up the virtual IP');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running.catch(() => {});
    await this.drop('stopping');
    await this.lease?.close();
  }
}
