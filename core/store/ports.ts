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
  content: Buffer;
  internalDate: Date;
  mailbox?: string;
  flags?: string[];
}

export interface OutboundItem {
  mailFrom: string;
  recipients: string[];
  content: Buffer;
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
  read(blobId: string): Promise<Buffer>;
  /** Removes messages by UID; returns the removed UIDs. */
  expunge(mailboxId: number, uids: number[]): Promise<number[]>;
}

export interface Stores {
  accounts: AccountStore;
  domains: DomainStore;
  aliases: AliasStore;
  mail: MailStore;
  close(): Promise<void>;
}
