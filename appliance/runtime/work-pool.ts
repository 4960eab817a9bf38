/**
 * The work pool of this process: one piscina pool of worker threads for the CPU-heavy work of a
 * message (core/work.ts), so a big or hostile message costs a thread, not the event loop that
 * serves every SMTP, POP3 and IMAP session of the process. Created at the first task, sized by
 * node.threads, with a bounded queue (node.threadQueue: one more task is refused with
 * WorkBusyError) and a deadline per task (node.threadTimeoutMs: the thread is stopped and
 * replaced, the caller gets WorkTimeoutError). Closed with the runtime.
 */
import os from 'node:os';
import { Piscina } from 'piscina';
import type { AppConfig } from '../../core/config/schema.ts';
import type { Logger } from '../../core/log.ts';
import { WorkBusyError, WorkTimeoutError, taskLabel, type WorkOptions, type WorkPort, type WorkTask } from '../../core/work.ts';
import { workerCount } from '../workers/count.ts';

const THREAD_FILE = new URL('./work-thread.mjs', import.meta.url).href;

export interface WorkPoolSettings {
  threads: number;
  maxQueue: number;
  timeoutMs: number;
}

/** node.threads 'auto': this process's share of the cores (the cores over the worker processes). */
export function workPoolSettings(node: AppConfig['node']): WorkPoolSettings {
  const cores = Math.max(1, os.availableParallelism());
  const threads = node.threads === 'auto' ? Math.max(1, Math.floor(cores / workerCount(node.workers))) : node.threads;
  return { threads, maxQueue: node.threadQueue, timeoutMs: node.threadTimeoutMs };
}

export class WorkPool implements WorkPort {
  private pool: Piscina | null = null;
  private closed = false;

  constructor(readonly settings: WorkPoolSettings, private readonly log: Logger) {}

  /** Tasks submitted and not finished: running on a thread or waiting for one. */
  private inFlight = 0;
  private seq = 0;
  /** Task id -> starts its deadline (called when the thread reports the start). */
  private readonly started = new Map<number, () => void>();

  get pending(): number {
    return this.inFlight;
  }

  private piscina(): Piscina {
    if (!this.pool) {
      const { threads, maxQueue } = this.settings;
      this.pool = new Piscina({ filename: THREAD_FILE, minThreads: threads, maxThreads: threads, maxQueue, idleTimeout: 60_000,
        // not the process's loaders (a test runner's): the thread registers tsx itself
        execArgv: [] });
      // a thread that dies (out of memory, a crash in native code) is replaced by piscina; its task rejects
      this.pool.on('error', (err: unknown) => this.log.error({ err }, 'work pool thread failed'));
      this.pool.on('message', (m: { workStarted?: number }) => {
        if (typeof m?.workStarted === 'number') this.started.get(m.workStarted)?.();
      });
      this.log.info({ threads, maxQueue }, 'work pool started');
    }
    return this.pool;
  }

  async run<O>(task: WorkTask, input: unknown, opts: WorkOptions = {}): Promise<O> {
    if (this.closed) throw new Error('the work pool is closed (the appliance is shutting down)');
    opts.signal?.throwIfAborted();
    const pool = this.piscina();
    // piscina refuses too, but with a generic error; this one says which setting
    if (this.inFlight >= this.settings.threads + this.settings.maxQueue) throw new WorkBusyError(this.settings.maxQueue);
    const id = ++this.seq;
    const deadline = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // the deadline starts when a thread takes the task (work-thread.mjs says so)
    this.started.set(id, () => {
      timer = setTimeout(() => deadline.abort(new WorkTimeoutError(taskLabel(task), this.settings.timeoutMs)), this.settings.timeoutMs);
    });
    const signal = opts.signal ? AbortSignal.any([deadline.signal, opts.signal]) : deadline.signal;
    this.inFlight++;
    try {
      return (await pool.run({ id, module: task.module, name: task.name, input }, { signal, transferList: opts.transfer })) as O;
    } catch (err) {
      if (deadline.signal.aborted) {
        this.log.warn({ task: taskLabel(task), timeoutMs: this.settings.timeoutMs }, 'work task timed out; its thread was stopped');
        throw deadline.signal.reason as WorkTimeoutError;
      }
      if (/queue is at limit/i.test((err as Error)?.message ?? '')) throw new WorkBusyError(this.settings.maxQueue);
      throw err;
    } finally {
      this.inFlight--;
      this.started.delete(id);
      clearTimeout(timer);
    }
  }

  /** Stops the threads; tasks still queued or running reject. */
  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = null;
    if (pool) await pool.close({ force: true });
  }
}
