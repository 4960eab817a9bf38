/**
 * The selected mailbox as one session sees it (RFC 3501 §5.2, §7.4.1): the message list the
 * client's sequence numbers refer to, and the changes not yet announced. Other sessions'
 * changes are read back from the store on refresh; EXPUNGEs are held while a command that
 * forbids them runs, so sequence numbers never shift under the client.
 */
import type { FlagUpdate, FolderStore, MailboxInfo, MailStore, MessageMeta } from '../../../core/store/ports.ts';
import type { Range } from './sequence.ts';
import { U } from '../untagged.ts';
import { LoopSlice } from '../../runtime/loop-slice.ts';

const sameFlags = (a: string[], b: string[]) => a.length === b.length && a.every((f, i) => f === b[i]);

/** The keywords in use, for `* FLAGS`: a pass over every message, in time slices (13 ms for 100,000). */
async function keywordsOf(messages: MessageMeta[]): Promise<Set<string>> {
  const out = new Set<string>();
  const slice = new LoopSlice();
  for (const m of messages) {
    for (const f of m.flags) if (!f.startsWith('\\')) out.add(f);
    if (slice.due()) await slice.next();
  }
  return out;
}

export class SelectedMailbox {
  /** Gone: the mailbox was deleted or renamed by another session. */
  gone = false;
  /** QRESYNC enabled: expunges are announced as VANISHED (RFC 7162 §3.2.10). */
  qresync = false;
  /** IMAP4rev2 enabled (RFC 9051 Appendix E): no \Recent flag and no RECENT responses. */
  rev2 = false;
  /** SEARCHRES (RFC 5182): UIDs of the last SEARCH ... RETURN (SAVE), what `$` refers to. */
  saved: number[] = [];
  private announced: number;
  private readonly expunged = new Set<number>();
  private readonly flagChanged = new Set<number>();
  /** Keywords announced in `* FLAGS`; a new one is announced before it is used (RFC 3501 §7.2.6). */
  private readonly keywords: Set<string>;
  private keywordsChanged = false;
  /** Messages that arrived while selected and that this session claimed as \Recent. */
  private readonly recentLater = new Set<number>();
  /** \Recent claims this session made with its own APPEND, for the messages the next refresh brings. */
  private heldClaims: { first: number; next: number }[] = [];

  private constructor(
    private readonly folders: FolderStore,
    public info: MailboxInfo,
    public readonly readOnly: boolean,
    public messages: MessageMeta[],
    /** UIDs in [first, next) are \Recent for this session (its claim at SELECT). */
    private recentRange: { first: number; next: number },
    /** CONDSTORE enabled: flag updates carry MODSEQ. */
    public condstore: boolean,
    keywords: Set<string>,
  ) {
    // QRESYNC (RFC 7162 §3.2.10) is switched on by the session after open()
    this.announced = messages.length;
    this.keywords = keywords;
  }

  /** The `* FLAGS` and PERMANENTFLAGS lines for the keywords in use. */
  flagLines(): string[] {
    const flags = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', ...this.keywords];
    return [U.flags(flags), U.permanentFlags(flags, !this.readOnly)];
  }

  /** Lines announcing keywords that came into use since the last announcement (none if none). */
  newFlagLines(): string[] {
    if (!this.keywordsChanged) return [];
    this.keywordsChanged = false;
    return this.flagLines();
  }

  private noteKeywords(flags: string[]): void {
    for (const f of flags) {
      if (!f.startsWith('\\') && !this.keywords.has(f)) {
        this.keywords.add(f);
        this.keywordsChanged = true;
      }
    }
  }

  /** `rev2`: an IMAP4rev2 session has no \Recent, so it leaves new mail \Recent for others. */
  static async open(mail: MailStore, folders: FolderStore, info: MailboxInfo, readOnly: boolean, condstore: boolean, rev2 = false): Promise<SelectedMailbox> {
    // the mailbox state is read before the messages: whatever commits in between shows up
    // as a change on the first refresh, never goes unannounced. The listing is read in pages
    // with the event loop given back between them (a 100,000-message mailbox would hold it
    // ~500 ms in one read), so it is no snapshot either: a change committed during the paging
    // has a MODSEQ above `before`'s, and the first refresh reads it again or finds it gone
    // (appliance/store/shared/pages.ts)
    const before = (await folders.byId(info.id)) ?? info;
    const messages = await mail.messages(info.id);
    const recent = readOnly || rev2 ? { first: 0, next: 0 } : await folders.claimRecent(info.id);
    const last = messages.length ? messages[messages.length - 1].uid : 0;
    return new SelectedMailbox(folders, { ...before, uidNext: Math.max(before.uidNext, last + 1) }, readOnly, messages, recent, condstore, await keywordsOf(messages));
  }

  get exists(): number {
    return this.messages.length;
  }

  /** Counted by binary search, not by a pass over every message (SELECT of 100,000 messages). */
  get recent(): number {
    const { first, next } = this.recentRange;
    let n = Math.max(0, this.lowerBound(next) - this.lowerBound(first));
    for (const uid of this.recentLater) if ((uid < first || uid >= next) && this.indexOf(uid) >= 0) n++;
    return n;
  }

  /** Exactly one session sees a message as \Recent (RFC 3501 §2.3.2). */
  isRecent(m: MessageMeta): boolean {
    return (m.uid >= this.recentRange.first && m.uid < this.recentRange.next) || this.recentLater.has(m.uid);
  }

  isExpunged(uid: number): boolean {
    return this.expunged.has(uid);
  }

  /** 0-based index of a UID in the view, or -1. */
  indexOf(uid: number): number {
    const i = this.lowerBound(uid);
    return i < this.messages.length && this.messages[i].uid === uid ? i : -1;
  }

  /** 0-based index of the first message whose UID is `uid` or above (the length if none). */
  private lowerBound(uid: number): number {
    let lo = 0;
    let hi = this.messages.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.messages[mid].uid < uid) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Messages of a sequence set (by number or by UID), in mailbox order, with their sequence numbers. */
  resolve(ranges: Range[], byUid: boolean): { seq: number; msg: MessageMeta }[] {
    const n = this.messages.length;
    if (!n) return [];
    const max = byUid ? this.messages[n - 1].uid : n;
    // each range as the 0-based index span [from, to) it covers; `*` is the largest number in
    // use and a range may be given either way round (RFC 3501 §9 seq-range)
    const spans: [number, number][] = [];
    for (const [a0, b0] of ranges) {
      const a = a0 === Infinity ? max : a0;
      const b = b0 === Infinity ? max : b0;
      const lo = Math.min(a, b);
      const hi = Math.max(a, b);
      const span: [number, number] = byUid ? [this.lowerBound(lo), this.lowerBound(hi + 1)] : [Math.max(1, lo) - 1, Math.min(n, hi)];
      if (span[0] < span[1]) spans.push(span);
    }
    // by index span, not by testing every message against every range: UID FETCH 1:* of
    // 100,000 messages took 50 ms that way
    spans.sort((x, y) => x[0] - y[0]);
    const out: { seq: number; msg: MessageMeta }[] = [];
    let done = 0;
    for (const [from, to] of spans) {
      for (let i = Math.max(from, done); i < to; i++) out.push({ seq: i + 1, msg: this.messages[i] });
      done = Math.max(done, to);
    }
    return out;
  }

  /** Re-reads what changed in the store since the last look. */
  async refresh(): Promise<void> {
    if (this.gone) return;
    const box = await this.folders.byId(this.info.id);
    if (!box) {
      this.gone = true;
      return;
    }
    if (box.highestModseq === this.info.highestModseq && box.uidNext === this.info.uidNext) return;
    const changed = await this.folders.changedSince(this.info.id, this.info.highestModseq);
    const last = this.messages.length ? this.messages[this.messages.length - 1].uid : 0;
    const modseqs = new Set<number>();
    const arrived: number[] = [];
    const slice = new LoopSlice();
    for (const m of changed) {
      if (slice.due()) await slice.next();
      // a change committed after `box` was read is applied too, but does not count for its range
      if (m.modseq <= box.highestModseq) modseqs.add(m.modseq);
      this.noteKeywords(m.flags);
      if (m.uid > last) {
        this.messages.push(m);
        arrived.push(m.uid);
        continue;
      }
      const i = this.indexOf(m.uid);
      if (i < 0) continue;
      const cur = this.messages[i];
      if (!sameFlags(cur.flags, m.flags) || (this.condstore && cur.modseq !== m.modseq)) this.flagChanged.add(m.uid);
      this.messages[i] = m;
    }
    if (modseqs.size < box.highestModseq - this.info.highestModseq) {
      // a MODSEQ of the range is no message's now: an expunge (or a move away) took it, or a
      // later change of the same message. The expunge records say which
      for (const uid of await this.folders.vanished(this.info.id, this.info.highestModseq)) if (this.indexOf(uid) >= 0) this.expunged.add(uid);
    }
    await this.claimRecent(arrived);
    this.info = box;
  }

  /** Whether the session's view claims the \Recent of new mail (not read-only, not IMAP4rev2). */
  get claimsRecent(): boolean {
    return !this.readOnly && !this.rev2;
  }

  /** New mail is \Recent in the session that claims it first, and in no other (RFC 3501 §2.3.2). */
  private async claimRecent(arrived: number[]): Promise<void> {
    if (!arrived.length || !this.claimsRecent) return;
    const claims = this.heldClaims.splice(0);
    claims.push(await this.folders.claimRecent(this.info.id));
    for (const uid of arrived) if (claims.some((c) => uid >= c.first && uid < c.next)) this.recentLater.add(uid);
  }

  /**
   * Takes in a message this session appended to the mailbox (RFC 3501 §6.3.11: the normal new
   * message actions), without reading it back: only when nothing else changed the mailbox since
   * the view's last look, its MODSEQ the next one. False when the view must be refreshed instead.
   */
  async applyOwnAppend(m: MessageMeta, claim?: { first: number; next: number }): Promise<boolean> {
    // the \Recent claim the append made in its transaction (folders.append claimRecent) is this
    // session's, whether the message goes in here or with the refresh that follows
    const mine = claim && this.claimsRecent ? claim : undefined;
    const last = this.messages.length ? this.messages[this.messages.length - 1].uid : 0;
    if (this.gone || m.mailboxId !== this.info.id || m.modseq !== this.info.highestModseq + 1 || m.uid < this.info.uidNext || m.uid <= last) {
      if (mine) this.heldClaims.push(mine);
      return false;
    }
    this.noteKeywords(m.flags);
    this.messages.push(m);
    this.info = { ...this.info, highestModseq: m.modseq, uidNext: m.uid + 1 };
    if (!mine) await this.claimRecent([m.uid]);
    else if (m.uid >= mine.first && m.uid < mine.next) this.recentLater.add(m.uid);
    return true;
  }

  /** Applies this session's own flag changes (their FETCH responses are sent by STORE). */
  applyOwn(updates: FlagUpdate[]): void {
    let top = 0;
    for (const u of updates) {
      const i = this.indexOf(u.uid);
      if (i < 0) continue;
      this.noteKeywords(u.flags);
      const m = this.messages[i];
      if (u.modseq > m.modseq) top = Math.max(top, u.modseq);
      m.flags = u.flags;
      m.modseq = u.modseq;
      this.flagChanged.delete(u.uid);
    }
    // the store gives one STORE one MODSEQ: the next after the view's means no other change came
    // in between, so the view is current and the next refresh need not read the changes back
    if (top === this.info.highestModseq + 1) this.info = { ...this.info, highestModseq: top };
  }

  /** Marks UIDs this session removed (EXPUNGE, MOVE); their EXPUNGE responses follow at once. */
  markExpunged(uids: number[]): void {
    for (const u of uids) if (this.indexOf(u) >= 0) this.expunged.add(u);
  }

  /**
   * This session's own expunge: marked as by markExpunged, and when its MODSEQ is the view's next
   * (nothing else changed the mailbox meanwhile) the view is current without reading it back.
   * False when it must be refreshed.
   */
  applyOwnExpunge(removed: number[], modseq: number | null): boolean {
    this.markExpunged(removed);
    if (modseq === null || modseq !== this.info.highestModseq + 1) return false;
    this.info = { ...this.info, highestModseq: modseq };
    return true;
  }

  /**
   * The untagged responses owed to the client, in the order RFC 3501 §7.4.1 needs. Made in time
   * slices: another session's STORE on a whole 100,000-message mailbox owes a FETCH line each.
   */
  async updates(allowExpunge: boolean): Promise<string[]> {
    const out: string[] = this.newFlagLines();
    if (allowExpunge && this.expunged.size) {
      const keep: MessageMeta[] = [];
      const vanished: number[] = [];
      let removed = 0;
      this.messages.forEach((m, i) => {
        if (this.expunged.has(m.uid)) {
          // each EXPUNGE renumbers the messages after it, so the number is the one at send time
          if (this.qresync) vanished.push(m.uid);
          else out.push(U.expunge(i + 1 - removed));
          removed++;
          this.flagChanged.delete(m.uid);
        } else keep.push(m);
      });
      if (vanished.length) out.push(U.vanished(vanished, false));
      this.messages = keep;
      this.announced -= removed;
      this.expunged.clear();
    }
    if (this.messages.length !== this.announced) {
      this.announced = this.messages.length;
      out.push(U.exists(this.messages.length));
      if (!this.rev2) out.push(U.recent(this.recent));
    }
    const slice = new LoopSlice();
    for (const uid of [...this.flagChanged].sort((a, b) => a - b)) {
      if (slice.due()) await slice.next();
      const i = this.indexOf(uid);
      if (i < 0 || this.expunged.has(uid)) continue;
      const m = this.messages[i];
      out.push(U.flagFetch(i + 1, { uid, flags: this.flagsOf(m), modseq: this.condstore ? m.modseq : undefined }));
    }
    this.flagChanged.clear();
    return out;
  }

  /** The flags a FETCH shows: stored flags plus this session's \Recent. */
  flagsOf(m: MessageMeta): string[] {
    return !this.rev2 && this.isRecent(m) ? [...m.flags, '\\Recent'] : m.flags;
  }
}
