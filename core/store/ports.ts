import type { ChangeNotifier } from './notifications.ts';
import type { MessageContent } from './content.ts';

/**
 * Store interfaces (ports). The embedded store (SQLite + files) implements them in
 * appliance/store/embedded; the cluster store (PostgreSQL) will implement the same.
 * Methods are async so that a networked implementation fits the same shape.
 */

export interface Domain {
  name: string;
  /** DO-1: maximum number of accounts, 0 = no limit. */
  accountLimit: number;
  /** DO-1: admin address (default Administrator@domain). */
  admin: string;
  /** DO-1: copy error mail to the admin. */
  copyErrorsToAdmin: boolean;
}

export interface Account {
  id: number;
  /** Local part, lower-cased. */
  name: string;
  domain: string;
  fullName: string;
  /** Home folder name (the seed's ﾎｰﾑﾌｫﾙﾀﾞ), kept for import/export. */
  home: string;
  /** RX-7 / AC-1: mailbox size limit in bytes, 0 = unlimited. */
  quota: number;
  /** RX-4 level 3: this account must authenticate to send. */
  smtpAuth: boolean;
  /** The account may use APOP / CRAM-MD5; a secret is kept for it. */
  apop: boolean;
  pop3Disabled: boolean;
  imapDisabled: boolean;
  sharedPath: string;
  sharedWrite: boolean;
  /** `$scrypt$...` hash of the password. */
  passwordHash: string;
}

export type AccountInput = Omit<Account, 'id' | 'passwordHash'> & {
  /** Plain password, or an already hashed `$scrypt$...` string (import). */
  password: string;
};

export interface AccountStore {
  get(address: string): Promise<Account | null>;
  getById(id: number): Promise<Account | null>;
  list(domain?: string): Promise<Account[]>;
  create(input: AccountInput): Promise<Account>;
  update(address: string, patch: Partial<AccountInput>): Promise<Account>;
  delete(address: string): Promise<void>;
  /** Checks a password; constant work whether or not the account exists. */
  verifyPassword(address: string, password: string): Promise<Account | null>;
  /** The clear secret APOP/CRAM-MD5 need; only kept for accounts flagged apop. */
  getSecret(accountId: number): Promise<string | null>;
}

export interface DomainStore {
  get(name: string): Promise<Domain | null>;
  list(): Promise<Domain[]>;
  create(domain: Partial<Domain> & { name: string }): Promise<Domain>;
  update(name: string, patch: Partial<Domain>): Promise<Domain>;
  delete(name: string): Promise<void>;
}

export interface Alias {
  /** `info@abc.test` or `*@abc.test`. */
  alias: string;
  /** `real@abc.test` or `*@def.test` (wildcard keeps the account part). */
  target: string;
  /** AL-1: ,1 rewrite the envelope recipient, ,0 keep it, null = default by domain. */
  rewrite: boolean | null;
}

export interface AliasStore {
  list(domain?: string): Promise<Alias[]>;
  add(alias: Alias): Promise<void>;
  delete(alias: string): Promise<void>;
}

export interface MailboxInfo {
  id: number;
  accountId: number;
  name: string;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  specialUse: string | null;
}

export interface MessageMeta {
  mailboxId: number;
  uid: number;
  modseq: number;
  flags: string[];
  internalDate: Date;
  size: number;
  blobId: string;
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
  /** @throws MessageGoneError (core/errors.ts) when the message was deleted meanwhile. */
  read(blobId: string): Promise<Buffer>;
  /**
   * The message without reading it into memory where the store can (a blob file): stream it
   * with `stream()` (FETCH BODY[], RETR), take its header with `header()`.
   */
  content(blobId: string): Promise<MessageContent>;
  /** Removes messages by UID; returns the removed UIDs. */
  expunge(mailboxId: number, uids: number[]): Promise<number[]>;
}

export interface Stores {
  accounts: AccountStore;
  domains: DomainStore;
  aliases: AliasStore;
  mail: MailStore;
  /** The outbound queue (delivery engine, TX-1 … TX-6). */
  queue: QueueStore;
  /** Mailing-list runtime data (members, counters, archive, keys); see plugins/mailing-list. */
  lists?: ListStore;
  /** Folder management and message changes for IMAP (RFC 3501). */
  folders: FolderStore;
  /** Change notifications (IMAP IDLE and unsolicited updates). */
  changes: ChangeNotifier;
  /** Runtime state of auto-replies (AR-1: replied addresses, "do not reply again", RFC 3834 period). */
  autoreply: AutoreplyStateStore;
  /** Client IPs refused at runtime (mail filter units digit, MF-2); relay-effect refuses them. */
  refusedIps?: RefusedIpStore;
  /** Locks across the nodes of a cluster (absent on the embedded store: one node, one process). */
  sessionLocks?: SessionLocks;
  close(): Promise<void>;
}

export type SessionLockKind = 'pop3';

/**
 * Locks held for the length of a session by this node and freed when the node dies (the POP3
 * maildrop lock, RFC 1939 §8, across the nodes of a cluster).
 */
export interface SessionLocks {
  /** Takes the lock; false when another node holds it. */
  tryLock(kind: SessionLockKind, id: number): Promise<boolean>;
  unlock(kind: SessionLockKind, id: number): Promise<void>;
}

export interface RefusedIp {
  ip: string;
  /** Why it was added (e.g. the mail filter rule). */
  reason: string;
  added: Date;
}

/** Runtime additions to the relay rules: client IPs refused from now on, kept across restarts. */
export interface RefusedIpStore {
  /** Adds an IP; false when it was listed already. */
  add(ip: string, reason: string): Promise<boolean>;
  has(ip: string): Promise<boolean>;
  list(): Promise<RefusedIp[]>;
  remove(ip: string): Promise<boolean>;
}

/** One address an account auto-replied to. */
export interface RepliedAddress {
  address: string;
  lastReply: Date;
  replies: number;
  /** RecordReplies was on (the seed's REPLIED.TXT). */
  recorded: boolean;
  /** "Do not reply to the same address again" (added to the seed's NOREPLY.TXT). */
  neverAgain: boolean;
}

/** The auto-reply plugin's per-account state, which changes with mail (not config). */
export interface AutoreplyStateStore {
  /**
   * Decides and records in one step (two deliveries at once cannot both reply): false when the
   * address is marked never-again or was replied to after `now - periodMs`; else records the
   * reply (with the `record` and `neverAgain` marks) and returns true.
   */
  claimReply(accountId: number, address: string, opts: { now: Date; periodMs: number; record: boolean; neverAgain: boolean }): Promise<boolean>;
  list(accountId: number): Promise<RepliedAddress[]>;
  /** Forgets one address (or all of the account's): it gets a reply again. Returns how many. */
  forget(accountId: number, address?: string): Promise<number>;
}

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
  /** Every UID of the mailbox, ascending. */
  uids(mailboxId: number): Promise<number[]>;
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
  append(mailboxId: number, content: Buffer | MessageContent, flags: string[], internalDate: Date): Promise<{ uid: number; uidValidity: number }>;
  /** Copies messages (sharing their blobs); returns [sourceUid, newUid] pairs. */
  copy(fromMailboxId: number, uids: number[], toMailboxId: number): Promise<{ uidValidity: number; pairs: [number, number][] }>;
  /** Moves messages atomically (RFC 6851). */
  move(fromMailboxId: number, uids: number[], toMailboxId: number): Promise<{ uidValidity: number; pairs: [number, number][] }>;
}

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
  get(id: string): Promise<QueueEntry | null>;
  /** Makes pending recipients due now (all entries when no id); returns how many. */
  retryNow(id?: string): Promise<number>;
  /** Removes an entry without a bounce; false when there is none. */
  delete(id: string): Promise<boolean>;
  /** Called after every enqueue committed in this process (to wake the delivery service). */
  onEnqueue(listener: () => void): () => void;
  read(blobId: string): Promise<Buffer>;
}

/** A list member (ML-1). `list` is the list's key: `name` (global) or `name@domain`. */
export interface ListMember {
  address: string;
  name: string;
  /**
   * This subscription's id (given by the store, read only): a new one each time the address
   * joins again, so that links issued to an earlier subscription (one-click unsubscribe) stop.
   */
  id?: number;
  /** Non-delivery reports counted for this member (VERP bounce processing, ML-5). */
  bounces?: number;
  /** Disabled after too many bounces: still a member, sent no copies. */
  disabled?: boolean;
}

export interface ListArticle {
  n: number;
  subject: string;
  from: string;
  date: Date;
}

/** A JOIN/LEAVE waiting for the member's confirmation or the admin's approval. */
export interface ListPending {
  token: string;
  list: string;
  action: 'JOIN' | 'LEAVE';
  address: string;
  stage: 'member' | 'admin';
  expires: Date;
}

/** Mailing-list runtime data: it changes by mail, so it lives in the store, not in the config. */
export interface ListStore {
  members(list: string): Promise<ListMember[]>;
  isMember(list: string, address: string): Promise<boolean>;
  /** The id of the address's subscription (ListMember.id), null when not a member. */
  memberId(list: string, address: string): Promise<number | null>;
  /** Adds (or renames) a member; false when the address was a member already. */
  addMember(list: string, member: ListMember): Promise<boolean>;
  /** False when the address was not a member. */
  removeMember(list: string, address: string): Promise<boolean>;
  /** Replaces the whole member list (import); members that stay keep their subscription id. */
  replaceMembers(list: string, members: ListMember[]): Promise<void>;
  /** Takes the next post number: max(counter, start) + 1, committed. */
  nextCounter(list: string, start: number): Promise<number>;
  archive(list: string, article: ListArticle, content: Buffer): Promise<void>;
  articles(list: string): Promise<ListArticle[]>;
  article(list: string, n: number): Promise<Buffer | null>;
  deleteArticles(list: string, numbers: number[]): Promise<number>;
  addKey(list: string, key: string, expires: Date): Promise<void>;
  /** True when the key was issued for the list and has not expired. */
  validKey(list: string, key: string, now?: Date): Promise<boolean>;
  addPending(p: ListPending): Promise<void>;
  /** Takes (removes) a pending request that has not expired. */
  takePending(token: string, now?: Date): Promise<ListPending | null>;
  /** Counts a non-delivery report for a member: the new count, or null when not a member. */
  recordBounce(list: string, address: string): Promise<number | null>;
  /** Disables (or re-enables, resetting the count) a member; false when not a member. */
  setDisabled(list: string, address: string, disabled: boolean): Promise<boolean>;
  /** The post passwords of the configured lists (ML-2), by list key; set by the plugin at start. */
  setPostPasswords(passwords: Record<string, string>): Promise<void>;
  /** SMTP AUTH with ID = list name: the list key when the post password matches, else null. */
  verifyPoster(login: string, password: string): Promise<string | null>;
}
