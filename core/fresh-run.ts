/**
 * Runs one async task for many callers, each of whom needs a run that starts after their call
 * (an fsync that covers what they wrote, a sync that hears what was sent before): at most one
 * run is under way; the callers that come meanwhile share the next one, which starts when it
 * has settled. A failed run fails its own callers only.
 */
export class FreshRun {
  /** The run under way (settled, never rejects), and the one that starts after it. */
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(private readonly task: () => Promise<void>) {}

  /** Resolves once a run of the task that started no earlier than this call has ended. */
  run(): Promise<void> {
    if (!this.running) return this.start();
    this.next ??= this.running.then(() => {
      this.next = null;
      return this.start();
    });
    return this.next;
  }

  private start(): Promise<void> {
    const p = this.task();
    const settled = p.then(() => undefined, () => undefined);
    this.running = settled;
    void settled.then(() => {
      if (this.running === settled) this.running = null;
    });
    return p;
  }
}
