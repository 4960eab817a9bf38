/**
 * The work port: CPU-heavy per-message work (MIME decoding, content matching, DKIM hashing and
 * signing) run off the protocol loop, so one message cannot stall the other sessions of the
 * process. The appliance runs tasks on a worker-thread pool (appliance/runtime/work-pool.ts);
 * without one (a plugin loaded alone, unit tests) `inlineWork` runs them here.
 *
 * A task is a named export of a module: a plain function whose input and output can be
 * structured-cloned (no functions, no class instances; a Buffer arrives as a Uint8Array).
 */

/** Which function runs: `module` is a file URL (`new URL('./task.ts', import.meta.url).href`). */
export interface WorkTask {
  module: string;
  name: string;
}

export interface WorkOptions {
  /** ArrayBuffers moved to the thread rather than copied (they are unusable here afterwards). */
  transfer?: ArrayBuffer[];
  /** Cancels the task (a hook's signal: the session has moved on). */
  signal?: AbortSignal;
}

export interface WorkPort {
  run<O>(task: WorkTask, input: unknown, opts?: WorkOptions): Promise<O>;
}

/** Every task is queued: the pool's queue (node.threadQueue) is full. Try again later. */
export class WorkBusyError extends Error {
  constructor(limit: number) {
    super(`work queue full (${limit} tasks waiting, node.threadQueue)`);
    this.name = 'WorkBusyError';
  }
}

/** The task ran past node.threadTimeoutMs and its thread was stopped. */
export class WorkTimeoutError extends Error {
  constructor(readonly task: string, readonly timeoutMs: number) {
    super(`task ${task} ran past ${timeoutMs} ms (node.threadTimeoutMs) and was stopped`);
    this.name = 'WorkTimeoutError';
  }
}

/** The task's name for logs: `mailfilter/match-task.ts#match`. */
export function taskLabel(task: WorkTask): string {
  const parts = task.module.split('/');
  return `${parts.slice(-2).join('/')}#${task.name}`;
}

/** Runs tasks in this thread (what a test or a config check without a pool gets). */
export const inlineWork: WorkPort = {
  async run<O>(task: WorkTask, input: unknown, opts: WorkOptions = {}): Promise<O> {
    opts.signal?.throwIfAborted();
    const mod = (await import(task.module)) as Record<string, unknown>;
    const fn = mod[task.name];
    if (typeof fn !== 'function') throw new Error(`${taskLabel(task)} is not a function`);
    // the same copy a thread would get: a task must not rely on sharing the caller's objects
    return (await (fn as (i: unknown) => unknown)(structuredClone(input))) as O;
  },
};
