/**
 * Runs async tasks one at a time, in the order they were given: each starts after the one before
 * it has settled, whether that one succeeded or failed (a failure goes to its own caller only).
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  run<T>(task: () => T | Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.pending++;
    this.tail = run.catch(() => undefined).finally(() => this.pending--);
    return run;
  }

  /** Settles when every task queued so far has settled (never rejects). */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.pending;
  }
}

/** One SerialQueue per key (e.g. per repository), forgotten when its last task has settled. */
export class KeyedSerialQueue {
  private readonly queues = new Map<string, SerialQueue>();

  run<T>(key: string, task: () => T | Promise<T>): Promise<T> {
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = new SerialQueue()));
    const q = queue;
    const run = q.run(task);
    void run.catch(() => undefined).finally(() => {
      // the queue's own bookkeeping settles right after: look once it has
      queueMicrotask(() => {
        if (q.size === 0 && this.queues.get(key) === q) this.queues.delete(key);
      });
    });
    return run;
  }

  /** Keys with tasks queued or running. */
  get keys(): number {
    return this.queues.size;
  }
}
