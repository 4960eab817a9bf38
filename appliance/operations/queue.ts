/**
 * Outbound queue operations (TX-2) on an opened store, shared by the CLI (`mailserver queue …`)
 * and the console. The delivery service sees a retry at its next queue scan.
 */
import type { QueueEntry, QueueRecipient, Stores } from '../../core/store/ports.ts';
import { UsageError } from '../../core/errors.ts';

/** A recipient's state as `queue list` shows it: new (never tried), deferred, sent or failed. */
export function recipientState(r: QueueRecipient): 'new' | 'deferred' | 'sent' | 'failed' {
  return r.status === 'pending' ? (r.attempts ? 'deferred' : 'new') : r.status;
}

export async function queuedMessage(s: Stores, id: string): Promise<{ entry: QueueEntry; content: Buffer }> {
  const entry = await s.queue.get(id);
  if (!entry) throw new UsageError(`no queue entry ${id} (mailserver queue list shows them)`);
  return { entry, content: await s.queue.read(entry.blobId) };
}

/** Makes the waiting recipients of one message due now; returns how many. */
export async function retryQueued(s: Stores, id: string): Promise<number> {
  if (!(await s.queue.get(id))) throw new UsageError(`no queue entry ${id}`);
  return s.queue.retryNow(id);
}

/** Removes a message from the queue without a bounce. */
export async function deleteQueued(s: Stores, id: string): Promise<void> {
  if (!(await s.queue.delete(id))) throw new UsageError(`no queue entry ${id}`);
}
