/**
 * The supervisor: the process `mailserver start` runs as. It serves nothing itself; it forks
 * the workers (Node's cluster module: the workers share the listening sockets and each accepts
 * its own connections, see SCHED_NONE below), answers their lock requests, relays their
 * broadcasts (protocol.ts) and restarts a worker that dies, with a log line and a backoff.
 *
 * The lead (worker 1) starts first and alone: it opens the config repository, migrates the store
 * and says which config it runs and how many workers that config asks for (`node.workers`); then
 * the others start on the same config file. A live apply in the lead is broadcast to the others,
 * which apply the same commit; one that cannot is restarted onto it, so every worker serves the
 * new generation or is on its way to it. SIGTERM/SIGINT stop every worker cleanly, SIGHUP is
 * the lead's (it reloads and the others follow).
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../../core/log.ts';
import { cleanSpool, spoolDirOf } from '../store/spool.ts';
import { LockTable } from './lock-table.ts';
import { MetricsCollections } from './metrics-collect.ts';
import { isMessage, WORKER_ENV, type ToSupervisor, type ToWorker } from './protocol.ts';
import { removeWorkersStatus, writeWorkersStatus, type WorkerStatus } from './status-file.ts';

export interface SupervisorOptions {
  dataDir: string;
  log: Logger;
  /** Time allowed for the workers' clean close before they are killed. */
  closeGraceMs?: number;
}

interface Slot {
  id: number;
  worker: Worker | null;
  restarts: number;
  startedAt: number;
  /** The next restart's wait. */
  backoffMs: number;
  state: WorkerStatus['state'];
  timer: NodeJS.Timeout | null;
}

/**
 * Every worker accepts from the shared listening sockets itself, as Postfix's smtpd processes do.
 * Node's default on Linux (SCHED_RR) has the supervisor accept every connection and pass it to a
 * worker over IPC, and the worker acknowledge it: at 10,000 SMTP connections that was 1.4 s of
 * supervisor CPU and an IPC round trip a connection in the workers, about a tenth of the ingest
 * rate (npm run bench). The kernel wakes the workers waiting in accept; a busy worker comes
 * back to accept later, so under load the connections spread evenly (4,869 / 5,145 measured);
 * when idle, one worker may take several in a row. What RR's order gave the connection counts
 * (a place freed on one worker seen free on the other) is kept by `sync` (shared-counts.ts).
 */
cluster.schedulingPolicy = cluster.SCHED_NONE;

const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** A worker that served this long before dying is restarted after the first backoff again. */
const STABLE_MS = 60_000;

export class Supervisor {
  private readonly slots = new Map<number, Slot>();
  private readonly locks = new LockTable();
  private readonly scrapes = new MetricsCollections(
    (id, req) => this.sendTo(id, { t: 'metrics-collect', req }),
    (id, req, workers, missing) => void this.sendTo(id, { t: 'metrics-reply', req, workers, missing }),
  );
  private wanted = 1;
  private configFile: string | null = null;
  private stopping = false;
  private readonly started = new Date().toISOString();
  private leadReady!: (ok: boolean) => void;
  private allExited: (() => void) | null = null;

  constructor(private readonly o: SupervisorOptions) {}

  /** Starts the lead; resolves true once it serves (false: it could not start). */
  start(): Promise<boolean> {
    // nothing runs yet: whatever a crash left in the spool is garbage (never acknowledged)
    const spooled = cleanSpool(spoolDirOf(this.o.dataDir));
    if (spooled) this.o.log.warn({ files: spooled, dir: spoolDirOf(this.o.dataDir) }, 'removed spool files left by an interrupted run');
    const ready = new Promise<boolean>((resolve) => (this.leadReady = resolve));
    this.fork(this.slot(1));
    return ready;
  }

  private slot(id: number): Slot {
    let s = this.slots.get(id);
    if (!s) this.slots.set(id, (s = { id, worker: null, restarts: 0, startedAt: 0, backoffMs: FIRST_BACKOFF_MS, state: 'starting', timer: null }));
    return s;
  }

  private fork(slot: Slot): void {
    slot.timer = null;
    slot.state = 'starting';
    slot.startedAt = Date.now();
    const env: Record<string, string> = { [WORKER_ENV.id]: String(slot.id), [WORKER_ENV.lead]: slot.id === 1 ? '1' : '0' };
    if (slot.id === 1 && slot.restarts === 0) env[WORKER_ENV.alone] = '1';
    if (slot.id !== 1 && this.configFile) env[WORKER_ENV.configFile] = this.configFile;
    const worker = cluster.fork(env);
    slot.worker = worker;
    worker.on('message', (m: unknown) => isMessage(m) && this.onMessage(slot, worker, m as ToSupervisor));
    worker.on('exit', (code, signal) => this.onExit(slot, worker, code, signal));
    // a send to a worker that is exiting fails with EPIPE on its channel: the worker is gone or going
    // ('exit' follows and restarts it), so this is logged, never thrown into the supervisor
    worker.on('error', (err) => this.o.log.warn({ worker: slot.id, err }, `worker ${slot.id}: channel error: ${err.message}`));
    this.writeStatus();
  }

  private onMessage(slot: Slot, from: Worker, m: ToSupervisor): void {
    if (m.t === 'ready') {
      slot.state = 'serving';
      if (slot.id === 1) {
        this.configFile = m.configFile;
        this.resize(m.workers);
        this.leadReady(true);
      }
      this.writeStatus();
    } else if (m.t === 'lock') {
      const ok = m.op === 'try' ? this.locks.take(m.key, slot.id) : (this.locks.release(m.key, slot.id), true);
      this.send(from, { t: 'lock-reply', req: m.req, ok });
    } else if (m.t === 'broadcast') {
      for (const item of m.items) {
        if (item.topic !== 'apply' || slot.id !== 1) continue;
        const applied = item.data as { configFile: string; workers: number };
        this.configFile = applied.configFile;
        this.resize(applied.workers);
      }
      // relayed at once, before any sync asked for later is answered (shared-counts.ts)
      this.broadcast({ t: 'broadcast', items: m.items, from: slot.id }, slot.id);
    } else if (m.t === 'sync') {
      // after this poll phase: a broadcast written by another worker before this request was
      // written is read in the same phase at the latest, and so relayed before the reply
      setImmediate(() => this.send(from, { t: 'sync-reply', req: m.req }));
    } else if (m.t === 'metrics') {
      this.scrapes.start(slot.id, m.req, m.timeoutMs, [...this.slots.values()].filter((s) => s.worker).map((s) => s.id));
    } else if (m.t === 'metrics-data') {
      this.scrapes.data(slot.id, m.req, m.metrics);
    }
  }

  /** Sends to worker `id`; false when it is not running or not connected. */
  private sendTo(id: number, m: ToWorker): boolean {
    const w = this.slots.get(id)?.worker;
    if (!w?.isConnected()) return false;
    w.send(m);
    return true;
  }

  /** Starts or stops workers so that `n` run (a live apply can change node.workers). */
  private resize(n: number): void {
    this.wanted = Math.max(1, n);
    if (this.stopping) return;
    for (let id = 2; id <= this.wanted; id++) {
      const s = this.slot(id);
      if (!s.worker && !s.timer) this.fork(s);
    }
    for (const s of this.slots.values()) {
      if (s.id <= this.wanted) continue;
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
      if (s.worker) s.worker.process.kill('SIGTERM');
      else this.slots.delete(s.id);
    }
  }

  private onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = null;
    const freed = this.locks.releaseAll(slot.id);
    this.scrapes.gone(slot.id);
    this.broadcast({ t: 'gone', worker: slot.id }, slot.id);
    if (this.stopping || slot.id > this.wanted) {
      this.slots.delete(slot.id);
      this.writeStatus();
      if (this.stopping && ![...this.slots.values()].some((s) => s.worker)) this.allExited?.();
      return;
    }
    if (slot.id === 1 && slot.state === 'starting' && slot.restarts === 0) {
      // the first start of the lead failed (its error is on stderr): the appliance does not start
      this.slots.delete(slot.id);
      this.leadReady(false);
      return;
    }
    const served = Date.now() - slot.startedAt;
    if (served > STABLE_MS) slot.backoffMs = FIRST_BACKOFF_MS;
    const wait = slot.backoffMs;
    slot.backoffMs = Math.min(MAX_BACKOFF_MS, slot.backoffMs * 2);
    slot.restarts++;
    slot.state = 'restarting';
    this.o.log.error({ worker: slot.id, workerPid: worker.process.pid, code, signal, servedMs: served, locksFreed: freed, restartInMs: wait },
      `worker ${slot.id} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}); restarting it in ${wait} ms`);
    slot.timer = setTimeout(() => this.fork(slot), wait);
    this.writeStatus();
  }

  private send(worker: Worker, m: ToWorker): void {
    if (worker.isConnected()) worker.send(m);
  }

  private broadcast(m: ToWorker, except: number): void {
    for (const s of this.slots.values()) if (s.worker && s.id !== except) this.send(s.worker, m);
  }

  /** Forwards a signal to the lead (SIGHUP: reload). */
  signalLead(signal: NodeJS.Signals): void {
    this.slots.get(1)?.worker?.process.kill(signal);
  }

  /** Stops every worker: SIGTERM, then SIGKILL after the grace. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.scrapes.close();
    for (const s of this.slots.values()) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
      if (!s.worker) this.slots.delete(s.id);
    }
    const running = [...this.slots.values()].filter((s) => s.worker);
    if (running.length) {
      const exited = new Promise<void>((resolve) => (this.allExited = resolve));
      for (const s of running) s.worker!.process.kill('SIGTERM');
      const grace = setTimeout(() => this.kill(), this.o.closeGraceMs ?? 12_000);
      await exited;
      clearTimeout(grace);
    }
    removeWorkersStatus(this.o.dataDir);
  }

  /** SIGKILL to every worker (a second signal, or the grace ran out). */
  kill(): void {
    for (const s of this.slots.values()) s.worker?.process.kill('SIGKILL');
  }

  private writeStatus(): void {
    if (this.stopping) return;
    const workers = [...this.slots.values()].sort((a, b) => a.id - b.id).map((s) => ({
      id: s.id, pid: s.worker?.process.pid ?? 0, lead: s.id === 1,
      startedAt: new Date(s.startedAt).toISOString(), restarts: s.restarts, state: s.state,
    }));
    try {
      writeWorkersStatus(this.o.dataDir, { supervisor: process.pid, startedAt: this.started, workers });
    } catch (err) {
      this.o.log.warn({ err }, 'cannot write the workers status file');
    }
  }
}
