/** The folder port: IMAP's view of the mail store (folders, flags, copy/move/append). */
import type { MessageContent } from '../content.ts';
import type { MailboxInfo, MessageMeta } from './mail.ts';

/** How STORE changes flags (RFC 3501 §6.4.6: FLAGS, +FLAGS, -FLAGS). */
export type FlagMode = 'set' | 'add' | 'remove';

/** A message's flags after a change, with the MODSEQ the change got (RFC 7162). */
export interface FlagUpdate {
  uid: number;
  flags: string[];
  modseq: number;
}

/** Counts for STATUS (RFC 3501 §6.3.10). */
export interface MailboxCounts {
  messages: number;
  unseen: number;
  /** Messages no session has seen yet (\Recent). */
  recent: number;
  size: number;
}

/**
 * IMAP's view of the mail store: folders, flags, copy/move/append. Every method that changes
 * a mailbox commits durably and then publishes a MailboxChange.
 */
export interface FolderStore {
  byId(mailboxId: number): Promise<MailboxInfo | null>;
  /** Creates a mailbox; false when the name exists already. */
  create(accountId: number, name: string, specialUse?: string | null): Promise<boolean>;
  /** Renames a mailbox and its children; INBOX is moved as RFC 3501 §6.3.5 says. */
  rename(accountId: number, from: string, to: string): Promise<void>;
  /** Deletes a mailbox with its messages. */
  delete(accountId: number, name: string): Promise<void>;
  subscriptions(accountId: number): Promise<string[]>;
  subscribe(accountId: number, name: string, on: boolean): Promise<void>;
  counts(mailboxId: number): Promise<MailboxCounts>;
  /** Messages whose MODSEQ is above `modseq` (new or changed), by UID. */
  changedSince(mailboxId: number, modseq: number): Promise<MessageMeta[]>;
  /** `length` bytes of a message from `start`, without reading the rest (partial FETCH). */
  readRange(blobId: string, start: number, length: number): Promise<Buffer>;
  /** UIDs expunged after MODSEQ `modseq`, ascending (RFC 7162 §3.2.5 VANISHED). */
  vanished(mailboxId: number, modseq: number): Promise<number[]>;
  /**
   * Changes flags of the given UIDs; a message whose MODSEQ is above `unchangedSince` is left
   * alone and reported in `failed` (RFC 7162 §3.1.3).
   */
  setFlags(mailboxId: number, uids: number[], mode: FlagMode, flags: string[], unchangedSince?: number): Promise<{ updated: FlagUpdate[]; failed: number[] }>;
  /**
   * RFC 3501 §2.3.2 \Recent: claims the UIDs no session has seen, [first, next), for the
   * caller, so later sessions do not see them as recent. An empty claim has first = next.
   */
  claimRecent(mailboxId: number): Promise<{ first: number; next: number }>;
  /**
   * `message`: the message as stored, where the store has it at hand (its MODSEQ the one the
   * append took), so the appending session's view takes it in without reading it back.
   * `claimRecent`: the appending session wants the new mail's \Recent (see claimRecent); a store
   * that makes the claim in the append's own transaction answers it as `recent`, and one that
   * does not leaves it to the caller's claimRecent.
   */
  append(mailboxId: number, content: Buffer | MessageContent, flags: string[], internalDate: Date, opts?: { claimRecent?: boolean }): Promise<{ uid: number; uidValidity: number; message?: MessageMeta; recent?: { first: number; next: number } }>;
  /** Copies messages (sharing their blobs); returns [sourceUid, newUid] pairs. */
  copy(fromMailboxId: number, uids: number[], toMailboxId: number): Promise<{ uidValidity: number; pairs: [number, number][] }>;
  /** Moves messages atomically (RFC 6851). */
  move(fromMailboxId: number, uids: number[], toMailboxId: number): Promise<{ uidValidity: number; pairs: [number, number][] }>;
}
