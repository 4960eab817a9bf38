/** The queue port: the durable outbound queue, claimed in leased batches. */
import type { OutboundItem } from './mail.ts';

/** A queued recipient and its delivery state. */
export interface QueueRecipient {
  recipient: string;
  /** Lower-cased domain of the recipient: recipients of one domain share one SMTP transaction. */
  domain: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  /** Attempts that ended in a refusal (4xx) from the peer (TX-2 "number of retries"). */
  refusals: number;
  nextAttempt: Date;
  /** When the first failed attempt happened (TX-2 retry periods count from here). */
  firstFailure: Date | null;
  lastError: string | null;
}

export interface QueueEntry {
  id: string;
  /** Envelope sender; '' is the null sender of a bounce (RFC 5321 §4.5.5). */
  mailFrom: string;
  blobId: string;
  size: number;
  created: Date;
  recipients: QueueRecipient[];
}

/** Recipients of one entry and one domain, leased to this node until `leaseUntil`. */
export interface ClaimedBatch {
  queueId: string;
  mailFrom: string;
  blobId: string;
  created: Date;
  domain: string;
  recipients: QueueRecipient[];
  lease: string;
  leaseUntil: Date;
  /** The message's bytes, when the store read them with the claim (else read(blobId)). */
  content?: Buffer;
}

export type RecipientOutcome =
  | { recipient: string; result: 'sent'; response: string }
  | { recipient: string; result: 'deferred'; error: string; nextAttempt: Date; refusal: boolean }
  | { recipient: string; result: 'failed'; error: string };

/**
 * The durable outbound queue. Workers `claim` due recipients with a lease (a cluster store
 * takes them with FOR UPDATE SKIP LOCKED), send, then `complete` the batch: its outcomes and the
 * bounces they cause commit together, so a crash loses nothing and repeats at most the
 * transaction in flight (its lease runs out and another claim takes it again).
 */
export interface QueueStore {
  /** Queues a message (durable when the promise resolves). Returns the queue id. */
  enqueue(item: OutboundItem): Promise<string>;
  /** Leases up to `limit` due batches (one per entry and domain), oldest due first. */
  claim(limit: number, leaseMs: number, opts?: { skipDomains?: string[] }): Promise<ClaimedBatch[]>;
  /** Records the outcome of a claimed batch and queues `bounces` in the same commit. */
  complete(batch: ClaimedBatch, outcomes: RecipientOutcome[], bounces?: OutboundItem[]): Promise<void>;
  /** Gives a claimed batch back untouched (shutdown). */
  release(batch: ClaimedBatch): Promise<void>;
  /** Drops every lease (a single node at start-up: nothing of its own is in flight). */
  releaseAll(): Promise<number>;
  list(): Promise<QueueEntry[]>;
  /**
   * Recipients still to deliver, by state: `pending` (no attempt yet), `deferred` (waiting for a
   * retry), `active` (leased by a delivery in flight). One counting query, for metrics.
   */
  depth(): Promise<{ pending: number; deferred: number; active: number }>;
  get(id: string): Promise<QueueEntry | null>;
  /** Makes pending recipients due now (all entries when no id); returns how many. */
  retryNow(id?: string): Promise<number>;
  /** Removes an entry without a bounce; false when there is none. */
  delete(id: string): Promise<boolean>;
  /** Called after every enqueue committed in this process (to wake the delivery service). */
  onEnqueue(listener: () => void): () => void;
  read(blobId: string): Promise<Buffer>;
}
