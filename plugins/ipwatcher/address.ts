/**
 * Adds and removes the virtual IP on an interface with iproute2, and announces it with
 * gratuitous ARP (iputils `arping -U`, RFC 5227 §3 "ARP Announcement") so that neighbours whose
 * ARP cache still points at the old holder's MAC switch at once instead of after the cache ages.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from '../../core/log.ts';

const run = promisify(execFile);

export interface VirtualIp {
  /** The address alone, e.g. 10.77.0.100. */
  address: string;
  /** With prefix length, for `ip addr`, e.g. 10.77.0.100/24. */
  cidr: string;
  iface: string;
}

export class AddressManager {
  private arpingMissing = false;
  private watchdog: ChildProcess | null = null;

  constructor(private readonly vip: VirtualIp, private readonly log: Logger, private readonly opts: { ip: string; arping: string | null }) {}

  /** Is the address on the interface now? */
  async present(): Promise<boolean> {
    const { stdout } = await run(this.opts.ip, ['-o', 'addr', 'show', 'dev', this.vip.iface], { timeout: 5000 });
    return stdout.split('\n').some((l) => l.includes(` ${this.vip.address}/`));
  }

  async add(): Promise<void> {
    try {
      await run(this.opts.ip, ['addr', 'add', this.vip.cidr, 'dev', this.vip.iface], { timeout: 5000 });
    } catch (err) {
      // already there (a restart after a crash): holding it is what we want
      if (!(await this.present())) throw commandError('ip addr add', err);
    }
    this.startWatchdog();
    this.announce();
  }

  /**
   * A crashed process (kill -9, OOM) cannot remove the address, and the kernel would go on
   * answering ARP for it beside the new holder. A small detached shell waits for this process
   * to end (its /proc status read every 0.1 s) and then removes the address; an orderly remove()
   * stops it first. Ended means gone or a zombie: a worker whose supervisor died stays a zombie
   * until init reaps it, which can take seconds (`tail --pid` would wait for that).
   */
  private startWatchdog(): void {
    if (this.watchdog) return;
    const script = [
      'while :; do s=',
      'while read -r k v _; do [ "$k" = State: ] && { s=$v; break; }; done 2>/dev/null < /proc/"$0"/status',
      '{ [ -z "$s" ] || [ "$s" = Z ]; } && break',
      'sleep 0.1; done',
      'exec "$1" addr del "$2" dev "$3"',
    ].join('; ');
    const child = spawn('sh', ['-c', script, String(process.pid), this.opts.ip, this.vip.cidr, this.vip.iface], { stdio: 'ignore', detached: true });
    child.on('error', (err) => this.log.warn({ err }, 'ipwatcher: cannot start the watchdog that removes the virtual IP if this process dies'));
    child.unref();
    this.watchdog = child;
  }

  private stopWatchdog(): void {
    const w = this.watchdog;
    this.watchdog = null;
    // the whole group: the shell and its sleep
    if (w?.pid) try { process.kill(-w.pid, 'SIGKILL'); } catch { /* gone */ }
  }

  /**
   * Removes the address when it is there. Whether it is there is asked, not read from the error
   * text of `ip addr del` (which differs between kernels: "Cannot assign requested address",
   * "Error: ipv4: Address not found.").
   */
  async remove(): Promise<void> {
    this.stopWatchdog();
    if (!(await this.present())) return;
    try {
      await run(this.opts.ip, ['addr', 'del', this.vip.cidr, 'dev', this.vip.iface], { timeout: 5000 });
    } catch (err) {
      // gone in between (another remover, the watchdog): the state we want
      if (await this.present()) throw commandError('ip addr del', err);
    }
  }

  /** Three unsolicited ARP replies, one a second, in the background (nothing waits for them). */
  private announce(): void {
    if (!this.opts.arping || this.arpingMissing) return;
    const child = spawn(this.opts.arping, ['-U', '-c', '3', '-I', this.vip.iface, this.vip.address], { stdio: 'ignore' });
    child.on('error', (err) => {
      this.arpingMissing = true;
      this.log.warn({ err }, 'ipwatcher: arping not found (apt-get install iputils-arping); neighbours learn the move when their ARP cache entry ages');
    });
    child.unref();
  }
}

function commandError(what: string, err: unknown): Error {
  const e = err as { stderr?: string; message: string };
  return new Error(`${what} failed: ${(e.stderr || e.message).trim()}`);
}
