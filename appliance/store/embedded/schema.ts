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
  // IMAP: subscriptions (RFC 3501 §6.3.6), the first UID still \Recent per mailbox,
  // an index for CONDSTORE's "changed since" queries, and the UIDs expunged with the MODSEQ of
  // their expunge (QRESYNC's VANISHED, RFC 7162 §3.2.5), kept by a trigger so that every path
  // that deletes a message (POP3, IMAP, CLI) leaves one
  `
  CREATE TABLE subscriptions (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (account_id, name)
  ) WITHOUT ROWID;
  ALTER TABLE mailboxes ADD COLUMN first_recent_uid INTEGER NOT NULL DEFAULT 1;
  CREATE INDEX messages_modseq ON messages (mailbox_id, modseq);
  CREATE TABLE expunged (
    mailbox_id INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    modseq INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
  ) WITHOUT ROWID;
  CREATE INDEX expunged_modseq ON expunged (mailbox_id, modseq);
  CREATE TRIGGER messages_expunged AFTER DELETE ON messages BEGIN
    INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq)
      SELECT old.mailbox_id, old.uid, highest_modseq + 1 FROM mailboxes WHERE id = old.mailbox_id;
  END;
  `,
  // Delivery engine: per-recipient delivery state and leases (status stays 'pending'
  // until 'sent' or 'failed'; lease_until in ms since the epoch, 0 = not leased)
  `
  ALTER TABLE queue ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE queue_recipients ADD COLUMN domain TEXT NOT NULL DEFAULT '';
  ALTER TABLE queue_recipients ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE queue_recipients ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE queue_recipients ADD COLUMN next_attempt INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE queue_recipients ADD COLUMN first_failure INTEGER;
  ALTER TABLE queue_recipients ADD COLUMN last_error TEXT;
  ALTER TABLE queue_recipients ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE queue_recipients ADD COLUMN lease TEXT;
  UPDATE queue_recipients SET domain = lower(substr(recipient, length(rtrim(recipient, replace(recipient, '@', ''))) + 1));
  UPDATE queue SET size = coalesce((SELECT size FROM blobs WHERE blobs.id = queue.blob_id), 0);
  CREATE INDEX queue_recipients_due ON queue_recipients (status, next_attempt);
  `,
  // Auto-reply state: addresses an account replied to (last reply
  // in ms since the epoch), recorded = RecordReplies, never_again = "do not reply again"
  `
  CREATE TABLE autoreply_state (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    last_reply INTEGER NOT NULL,
    replies INTEGER NOT NULL DEFAULT 1,
    recorded INTEGER NOT NULL DEFAULT 0,
    never_again INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, address)
  ) WITHOUT ROWID;
  `,
  // Mailing lists: members, post counters, archive, admin keys, pending JOIN/LEAVE
  `
  CREATE TABLE list_members (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    list TEXT NOT NULL,
    addr_key TEXT NOT NULL,
    address TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    UNIQUE (list, addr_key)
  );
  CREATE TABLE list_counters (list TEXT PRIMARY KEY, counter INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE list_archive (
    list TEXT NOT NULL,
    n INTEGER NOT NULL,
    subject TEXT NOT NULL,
    sender TEXT NOT NULL,
    date INTEGER NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (list, n)
  ) WITHOUT ROWID;
  CREATE TABLE list_keys (list TEXT NOT NULL, key TEXT NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY (list, key)) WITHOUT ROWID;
  CREATE TABLE list_pending (
    token TEXT PRIMARY KEY,
    list TEXT NOT NULL,
    action TEXT NOT NULL,
    address TEXT NOT NULL,
    stage TEXT NOT NULL,
    expires INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // Mail filter: client IPs refused at runtime by a filter rule's units digit (MF-2)
  `
  CREATE TABLE refused_ips (
    ip TEXT PRIMARY KEY,
    reason TEXT NOT NULL DEFAULT '',
    added INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // Mailing lists, bounce processing: DSNs counted per member (VERP), and
  // members disabled after the list's bounceLimit (kept on the list, sent nothing)
  `
  ALTER TABLE list_members ADD COLUMN bounces INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE list_members ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
  `,
  // IMAP OBJECTID (RFC 8474 §4): every mailbox's MAILBOXID, made now for the existing ones
  // (new mailboxes get theirs from createMailbox); EMAILID is the message's blob id (shared by
  // its copies), THREADID comes from its header, so messages need no column
  `
  ALTER TABLE mailboxes ADD COLUMN object_id TEXT;
  UPDATE mailboxes SET object_id = 'F' || lower(hex(randomblob(12)));
  `,
  // Installation secrets (the EMAILID key of RFC 8474 §5.1, store/shared/object-ids.ts): made
  // by the store when it opens, not here, so that they come from the OS's random source; and
  // each blob's thread root (THREADID, §5.2), from its header: filled in when a blob is made,
  // and for the blobs before this when their mailbox is first listed
  `
  CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  ALTER TABLE blobs ADD COLUMN thread_root TEXT;
  `,
  // Each message keeps its blob's thread root (copied with it), so a listing (IMAP SELECT, the
  // refresh) reads the mailbox's own rows and nothing else: joined with the blobs, it read a
  // blob row (small messages are held inline, a table page or more each) or, from an index, an
  // entry under a random blob id, spread over the whole index. Roots still unknown (blobs older
  // than their column) are filled in on both when first listed
  `
  ALTER TABLE messages ADD COLUMN thread_root TEXT;
  UPDATE messages SET thread_root = (SELECT thread_root FROM blobs WHERE blobs.id = messages.blob_id);
  `,
];
