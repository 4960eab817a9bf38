/**
 * The connection gate every listener asks before it serves a new connection, shared by SMTP, IMAP and POP3 and by every config generation:
 * - connections per (service, client IP) (Postfix smtpd_client_connection_count_limit); for
 *   IMAP and POP3 only connections not logged in yet count here;
 * - logged-in sessions per (service, user, IP) (Dovecot mail_max_userip_connections);
 * - the process's file descriptors: within `fdReserve` of the soft RLIMIT_NOFILE every new
 *   connection is refused with the protocol's "try later" reply, so the process never reaches
 *   EMFILE and the sessions it has go on.
 * With several workers on a node (appliance/workers/), the per-IP and (user, IP) counts are the
 * node's: each worker tells the others how its counts moved (`CountShare`) and a limit is
 * checked against the sum, so a client does not get N times the limit by landing on N workers.
 * The fd reserve stays per process (each worker has its own descriptors).
 */
import fs from 'node:fs';
import type net from 'node:net';
import { metrics } from '../metrics/index.ts';

export type Refusal = 'per-ip' | 'fds';

export interface GateSettings {
  /** File descriptors kept free; 0 = no check. */
  fdReserve: number;
}

/** The soft limit on open files, from /proc/self/limits (Infinity where unknown). */
export function softFdLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
  } catch {
    return Infinity;
  }
}

function openFds(): number {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

/** Recount the open fds at most this often while far from the limit. */
const RECOUNT_MS = 1000;

/** The two counts a gate keeps. */
export type CountMap = 'ip' | 'userip';

/** The counts of the node's other workers (appliance/workers/shared-counts.ts). */
export interface CountShare {
  /** This worker's count under `key` moved by `delta`. */
  moved(map: CountMap, key: string, delta: number): void;
  /** What the other workers count under `key` now. */
  others(map: CountMap, key: string): number;
  /** Resolves once the moves made so far are told to the other workers. */
  told(): Promise<void>;
  /** Resolves once the other workers' moves sent so far are heard here (before a refusal). */
  settled(): Promise<void>;
}

export class ConnectionGate {
  private readonly perIp = new Map<string, number>();
  private readonly perUserIp = new Map<string, number>();
  private readonly fdLimit: number;
  private fdCount = 0;
  private countedAt = 0;
  /** Connections admitted since the last count: the estimate between counts. */
  private sinceCount = 0;

  constructor(private readonly settings: () => GateSettings, fdLimit = softFdLimit(), private readonly share?: CountShare) {
    this.fdLimit = fdLimit;
  }

  private bump(which: CountMap, key: string, by: number): void {
    const map = which === 'ip' ? this.perIp : this.perUserIp;
    const n = (map.get(key) ?? 0) + by;
    if (n > 0) map.set(key, n);
    else map.delete(key);
    this.share?.moved(which, key, by);
  }

  /** This worker's count and the other workers'. */
  private count(which: CountMap, key: string): number {
    const map = which === 'ip' ? this.perIp : this.perUserIp;
    return (map.get(key) ?? 0) + (this.share?.others(which, key) ?? 0);
  }

  /** True when a new connection would eat into the fd reserve. */
  nearFdLimit(): boolean {
    const reserve = this.settings().fdReserve;
    if (!reserve || this.fdLimit === Infinity) return false;
    const now = Date.now();
    const estimate = this.fdCount + this.sinceCount;
    // counting costs a directory read per open fd: only once a second, or when it gets close
    if (now - this.countedAt > RECOUNT_MS || estimate >= this.fdLimit - 2 * reserve) {
      this.fdCount = openFds();
      this.countedAt = now;
      this.sinceCount = 0;
    }
    return this.fdCount + this.sinceCount >= this.fdLimit - reserve;
  }

  /** A ticket for the connection, or why it is refused. `maxPerIp` 0 = no per-IP limit. */
  admit(service: string, ip: string, maxPerIp: number): Ticket | Refusal {
    const ticket = this.tryAdmit(service, ip, maxPerIp);
    if (typeof ticket === 'string') metrics.connectionRefused(service, ticket);
    return ticket;
  }

  /**
   * As admit, but with other workers sharing the counts a per-IP refusal is only made after
   * their moves sent so far are heard (CountShare.settled): a client that reconnects on a 221
   * from another worker may be here before that worker's release is. A promise only then.
   */
  admitSettled(service: string, ip: string, maxPerIp: number): Ticket | Refusal | Promise<Ticket | Refusal> {
    const ticket = this.tryAdmit(service, ip, maxPerIp);
    if (ticket === 'per-ip' && this.share) return this.share.settled().then(() => this.admit(service, ip, maxPerIp));
    if (typeof ticket === 'string') metrics.connectionRefused(service, ticket);
    return ticket;
  }

  private tryAdmit(service: string, ip: string, maxPerIp: number): Ticket | Refusal {
    const refused = this.refusal(service, ip, maxPerIp);
    if (refused) return refused;
    this.bump('ip', `${service}\0${ip}`, 1);
    this.sinceCount++;
    metrics.sessionOpened(service);
    return new Ticket(this, service, ip);
  }

  private refusal(service: string, ip: string, maxPerIp: number): Refusal | null {
    if (this.nearFdLimit()) return 'fds';
    if (maxPerIp > 0 && this.count('ip', `${service}\0${ip}`) >= maxPerIp) return 'per-ip';
    return null;
  }

  /** Moves a connection from the per-IP count to the (user, IP) count; false when that is full. */
  login(ticket: Ticket, user: string, maxPerUserIp: number): boolean {
    const key = `${ticket.service}\0${user.toLowerCase()}\0${ticket.ip}`;
    if (maxPerUserIp > 0 && this.count('userip', key) >= maxPerUserIp) return false;
    this.bump('ip', `${ticket.service}\0${ticket.ip}`, -1);
    this.bump('userip', key, 1);
    ticket.user = key;
    return true;
  }

  /** Resolves once the other workers' moves sent so far are heard here; null without other workers. */
  settled(): Promise<void> | null {
    return this.share?.settled() ?? null;
  }

  release(ticket: Ticket): void {
    metrics.sessionClosed(ticket.service);
    if (ticket.user) this.bump('userip', ticket.user, -1);
    else this.bump('ip', `${ticket.service}\0${ticket.ip}`, -1);
  }

  /**
   * Resolves once the other workers are told of every move so far: a session that ends with
   * a reply (SMTP 221) waits for this after its release, so a client reconnecting on that
   * reply finds the place free on every worker (appliance/workers/shared-counts.ts).
   */
  told(): Promise<void> {
    return this.share?.told() ?? Promise.resolve();
  }

  /** Connections counted now (tests, status). */
  counts(): { perIp: number; perUserIp: number } {
    const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    return { perIp: sum(this.perIp), perUserIp: sum(this.perUserIp) };
  }
}

export class Ticket {
  /** The (user, IP) key once logged in. */
  user: string | null = null;
  private released = false;

  constructor(private readonly gate: ConnectionGate, readonly service: string, readonly ip: string) {}

  /** Counts the session as `user`'s from this IP; false = over the (user, IP) limit. */
  login(user: string, maxPerUserIp: number): boolean {
    if (this.released || this.user) return true;
    return this.gate.login(this, user, maxPerUserIp);
  }

  /** As login, but a refusal waits until the other workers' moves sent so far are heard (see admitSettled). */
  async loginSettled(user: string, maxPerUserIp: number): Promise<boolean> {
    if (this.login(user, maxPerUserIp)) return true;
    const settled = this.gate.settled();
    if (!settled) return false;
    await settled;
    return this.login(user, maxPerUserIp);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.gate.release(this);
  }

  /**
   * Releases, and resolves once the other workers are told (ConnectionGate.told): a session's
   * last reply waits for this, so a client that reconnects on it finds its place free anywhere.
   */
  releaseTold(): Promise<void> {
    this.release();
    return this.gate.told();
  }
}

/**
 * A new socket through the gate (admitSettled): `then` gets its ticket or refusal, at once or
 * after the sync with the other workers. A client that went away meanwhile gets nothing, and the
 * place it was given is given back; a reset while it waits is heard by a listener added here
 * (an 'error' without one would be thrown).
 */
export function admitSocket(gate: ConnectionGate, raw: net.Socket, service: string, ip: string, maxPerIp: number, then: (ticket: Ticket | Refusal) => void): void {
  const deliver = (ticket: Ticket | Refusal) => {
    if (!raw.destroyed) return then(ticket);
    if (typeof ticket !== 'string') ticket.release();
  };
  const ticket = gate.admitSettled(service, ip, maxPerIp);
  if (!(ticket instanceof Promise)) return deliver(ticket);
  raw.on('error', () => undefined);
  void ticket.then(deliver);
}
