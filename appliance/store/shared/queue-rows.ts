/** The outbound queue's rows and their mapping, shared by the embedded and the PostgreSQL store. */
import type { QueueRecipient } from '../../../core/store/ports.ts';

export interface QueueRow { id: string; mail_from: string; blob_id: string; created: number; size: number }
export interface RcptRow {
  queue_id: string; recipient: string; domain: string; status: QueueRecipient['status']; attempts: number; refusals: number;
  next_attempt: number; first_failure: number | null; last_error: string | null; lease_until: number; lease: string | null;
}

export const toRecipient = (r: RcptRow): QueueRecipient => ({
  recipient: r.recipient, domain: r.domain, status: r.status, attempts: r.attempts, refusals: r.refusals,
  nextAttempt: new Date(r.next_attempt), firstFailure: r.first_failure === null ? null : new Date(r.first_failure), lastError: r.last_error,
});

/** Lower-cased domain of an address: recipients of one domain share one SMTP transaction. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
