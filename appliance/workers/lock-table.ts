/** The supervisor's table of session locks held by its workers (shared-locks.ts). */
export class LockTable {
  private readonly holders = new Map<string, number>();

  /** Takes `key` for `worker`; false when another worker holds it. */
  take(key: string, worker: number): boolean {
    const holder = this.holders.get(key);
    if (holder !== undefined && holder !== worker) return false;
    // the same worker taking it twice is two sessions: the worker's own MaildropLocks refuses the second
    this.holders.set(key, worker);
    return true;
  }

  release(key: string, worker: number): void {
    if (this.holders.get(key) === worker) this.holders.delete(key);
  }

  /** Frees every lock of a worker that is gone. */
  releaseAll(worker: number): number {
    let n = 0;
    for (const [key, holder] of this.holders) if (holder === worker) (this.holders.delete(key), n++);
    return n;
  }
}
