/** SQLite schema of the embedded store; `user_version` tracks migrations. */
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE domains (
    name TEXT PRIMARY KEY,
    account_limit INTEGER NOT NULL DEFAULT 0,
    admin TEXT NOT NULL,
    copy_errors_to_admin INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    domain TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,
    full_name TEXT NOT NULL DEFAULT '',
    home TEXT NOT NULL DEFAULT '',
    quota INTEGER NOT NULL DEFAULT 0,
    smtp_auth INTEGER NOT NULL DEFAULT 0,
    apop INTEGER NOT NULL DEFAULT 0,
    pop3_disabled INTEGER NOT NULL DEFAULT 0,
    imap_disabled INTEGER NOT NULL DEFAULT 0,
    shared_path TEXT NOT NULL DEFAULT '',
    shared_write INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT NOT NULL,
    secret TEXT,
    usage INTEGER NOT NULL DEFAULT 0,
    UNIQUE (name, domain)
  );
  CREATE TABLE aliases (
    alias TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    rewrite INTEGER
  );
  CREATE TABLE mailboxes (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    uid_validity INTEGER NOT NULL,
    uid_next INTEGER NOT NULL DEFAULT 1,
    highest_modseq INTEGER NOT NULL DEFAULT 1,
    special_use TEXT,
    UNIQUE (account_id, name)
  );
  CREATE TABLE blobs (
    id TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    data BLOB,
    path TEXT,
    refs INTEGER NOT NULL
  );
  CREATE TABLE messages (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid INTEGER NOT NULL,
    modseq INTEGER NOT NULL,
    flags TEXT NOT NULL DEFAULT '',
    internal_date INTEGER NOT NULL,
    size INTEGER NOT NULL,
    blob_id TEXT NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
  ) WITHOUT ROWID;
  CREATE TABLE queue (
    id TEXT PRIMARY KEY,
    mail_from TEXT NOT NULL,
    blob_id TEXT NOT NULL,
    created INTEGER NOT NULL
  );
  CREATE TABLE queue_recipients (
    queue_id TEXT NOT NULL REFERENCES queue(id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    PRIMARY KEY (queue_id, recipient)
  ) WITHOUT ROWID;
  `,
];
