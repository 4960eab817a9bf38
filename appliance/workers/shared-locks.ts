/**
 * Session locks across the workers of a node on the embedded store (the POP3 maildrop lock,
 * RFC 1939 §8): the supervisor keeps the table (lock-table.ts), so a second POP3 session for
 * a maildrop is refused whichever worker it lands on, and a worker that dies frees its locks.
 */
import type { SessionLockKind, SessionLocks } from '../../core/store/ports.ts';
import type { WorkerBus } from './worker-bus.ts';

export class WorkerSessionLocks implements SessionLocks {
  constructor(private readonly bus: WorkerBus) {}

  tryLock(kind: SessionLockKind, id: number): Promise<boolean> {
    return this.bus.lock(`${kind}:${id}`, 'try');
  }

  async unlock(kind: SessionLockKind, id: number): Promise<void> {
    await this.bus.lock(`${kind}:${id}`, 'unlock');
  }
}
