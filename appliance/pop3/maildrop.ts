/**
 * The maildrop of one POP3 session (RFC 1939 §§5-6): a snapshot of the INBOX taken at login,
 * numbered 1..n, with deletion marks that reach the store only at QUIT (UPDATE state).
 */
import type { MailboxInfo, MailStore, SessionLocks } from '../../core/store/ports.ts';

export interface DropMessage {
  /** Message number in this session, 1-based. */
  number: number;
  uid: number;
  /** Octets of the stored message (CRLF line ends), as LIST and STAT report it. */
  size: number;
  blobId: string;
  deleted: boolean;
}

export type Lookup = { ok: true; message: DropMessage } | { ok: false; reason: 'missing' | 'deleted' };

export class Maildrop {
  private constructor(
    /** Null when the account has no INBOX yet: an empty maildrop. */
    readonly mailbox: MailboxInfo | null,
    readonly messages: readonly DropMessage[],
  ) {}

  static async open(mail: MailStore, accountId: number): Promise<Maildrop> {
    const mailbox = await mail.mailbox(accountId, 'INBOX');
    if (!mailbox) return new Maildrop(null, []);
    const metas = await mail.messages(mailbox.id);
    return new Maildrop(mailbox, metas.map((m, i) => ({ number: i + 1, uid: m.uid, size: m.size, blobId: m.blobId, deleted: false })));
  }

  /** A message number given by the client; deleted messages are not addressable (§5). */
  lookup(arg: string): Lookup {
    const n = Number(arg);
    const message = Number.isInteger(n) && n >= 1 ? this.messages[n - 1] : undefined;
    if (!message) return { ok: false, reason: 'missing' };
    if (message.deleted) return { ok: false, reason: 'deleted' };
    return { ok: true, message };
  }

  /** Messages not marked as deleted. */
  live(): DropMessage[] {
    return this.messages.filter((m) => !m.deleted);
  }

  stat(): { count: number; octets: number } {
    const live = this.live();
    return { count: live.length, octets: live.reduce((sum, m) => sum + m.size, 0) };
  }

  /**
   * RFC 1939 §7 UIDL: printable 0x21-0x7E, at most 70 characters, stable across sessions.
   * UIDVALIDITY changes only when UIDs are reused, so the pair never names two messages.
   */
  uid(m: DropMessage): string {
    return `${this.mailbox?.uidValidity ?? 0}.${m.uid}`;
  }

  /** RSET: unmarks every message. */
  reset(): void {
    for (const m of this.messages) m.deleted = false;
  }

  deletedUids(): number[] {
    return this.messages.filter((m) => m.deleted).map((m) => m.uid);
  }
}

/**
 * RFC 1939 §8: the maildrop is locked for the session, so a second POP3 login to the same
 * account is refused with [IN-USE] (RFC 2449 §8.1.1). The lock is taken in this process and,
 * on a cluster store, also in the store (`sessionLocks`), so a session on another node is
 * refused too; a node that dies frees its locks with its database connection.
 */
export class MaildropLocks {
  private readonly held = new Set<number>();

  constructor(private readonly shared?: SessionLocks, private readonly log?: (msg: string, err: unknown) => void) {}

  /** A release function, or null when another session (here or on another node) holds the lock. */
  async acquire(accountId: number): Promise<(() => void) | null> {
    if (this.held.has(accountId)) return null;
    this.held.add(accountId);
    let taken = false;
    try {
      taken = !this.shared || (await this.shared.tryLock('pop3', accountId));
    } finally {
      if (!taken) this.held.delete(accountId);
    }
    if (!taken) return null;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held.delete(accountId);
      this.shared?.unlock('pop3', accountId).catch((err) => this.log?.('releasing the maildrop lock in the store failed', err));
    };
  }
}
