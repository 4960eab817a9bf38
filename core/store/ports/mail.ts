/** The mail port: committing deliveries and queued mail, reading mailboxes and messages. */
import type { MessageContent } from '../content.ts';

export interface MailboxInfo {
  id: number;
  accountId: number;
  name: string;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  specialUse: string | null;
  /** RFC 8474 MAILBOXID: made at creation, kept across renames, never reused. */
  objectId: string;
}

export interface MessageMeta {
  mailboxId: number;
  uid: number;
  modseq: number;
  flags: string[];
  internalDate: Date;
  size: number;
  blobId: string;
  /** EMAILID of RFC 8474 §5.1: the same for every copy of the blob, and not the blob id (the store derives it). */
  emailId: string;
  /** THREADID of RFC 8474 §5.2, from the thread data the store keeps with the blob (its header's thread root). */
  threadId: string;
}

/** One message for one or more local mailboxes (the INBOX of each account by default). */
export interface Delivery {
  accountIds: number[];
  /** In memory, or a MessageContent the store copies by streaming (a spooled message). */
  content: Buffer | MessageContent;
  internalDate: Date;
  mailbox?: string;
  flags?: string[];
}

export interface OutboundItem {
  /**
   * The queue id: the message's transaction id (the one its client was given in `250 … queued
   * as`), or one derived from it (derivedTransactionId) for the copies and bounces it causes;
   * a new id when absent. One id follows a message from acceptance to delivery or bounce.
   */
  id?: string;
  mailFrom: string;
  recipients: string[];
  content: Buffer | MessageContent;
}

export interface MailStore {
  /**
   * Commits messages durably: when the promise resolves the bytes and the index are on
   * disk (fsync'd), so the caller may answer 250. Concurrent calls share one commit.
   */
  deliver(delivery: Delivery): Promise<void>;
  /** Queues a message for remote delivery (durable, same commit rules). Returns the queue id. */
  enqueue(item: OutboundItem): Promise<string>;
  mailbox(accountId: number, name: string): Promise<MailboxInfo | null>;
  listMailboxes(accountId: number): Promise<MailboxInfo[]>;
  messages(mailboxId: number): Promise<MessageMeta[]>;
  /** Sum of the sizes of every message of the account (quota). */
  usage(accountId: number): Promise<number>;
  /** Quota and usage of several accounts at once (the DATA-end quota check); a gone account is absent. */
  quotas(accountIds: number[]): Promise<Map<number, { quota: number; usage: number }>>;
  /** @throws MessageGoneError (core/errors.ts) when the message was deleted meanwhile. */
  read(blobId: string): Promise<Buffer>;
  /**
   * The message without reading it into memory where the store can (a blob file): stream it
   * with `stream()` (FETCH BODY[], RETR), take its header with `header()`.
   */
  content(blobId: string): Promise<MessageContent>;
  /**
   * Removes messages by UID: the removed UIDs, and the mailbox's MODSEQ the expunge took where
   * the store has it at hand (null otherwise, and when nothing was removed), so the expunging
   * IMAP session's view need not read its own expunge back.
   */
  expunge(mailboxId: number, uids: number[]): Promise<{ removed: number[]; modseq: number | null }>;
}
