/**
 * A bound on concurrent password checks: scrypt costs tens of milliseconds of CPU and memory
 * each, so 100 parallel guessing connections would take every core. At most `concurrency`
 * checks run; up to `queue` more wait in order; beyond that a check is refused at once
 * (HashBusy), and the protocol answers with a temporary failure.
 */
export class HashBusy extends Error {
  constructor() {
    super('too many password checks in progress');
  }
}

export interface HashGateSettings {
  hashConcurrency: number;
  hashQueue: number;
}

export class HashGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly settings: () => HashGateSettings) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const { hashConcurrency, hashQueue } = this.settings();
    if (this.running >= hashConcurrency) {
      if (this.waiting.length >= hashQueue) throw new HashBusy();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // the slot passes straight to the next waiter, so `running` stays the same
      if (next) next();
      else this.running--;
    }
  }

  /** Checks running and waiting (tests, status). */
  load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
