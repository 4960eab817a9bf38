/** The account port: mailbox users, their passwords and APOP/CRAM-MD5 secrets. */

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
