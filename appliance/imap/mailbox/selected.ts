/**
 * The selected mailbox as one session sees it (RFC 3501 §5.2, §7.4.1): the message list the
 * client's sequence numbers refer to, and the changes not yet announced. Other sessions'
 * changes are read back from the store on refresh; EXPUNGEs are held while a command that
 * forbids them runs, so sequence numbers never shift under the client.
 */
import type { FlagUpdate, FolderStore, MailboxInfo, MailStore, MessageMeta } from '../../../core/store/ports.ts';
import { inSet, type Range } from './sequence.ts';
import { U } from '../untagged.ts';

const sameFlags = (a: string[], b: string[]) => a.length === b.length && a.every((f, i) => f === b[i]);

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
  private readonly keywords = new Set<string>();
  private keywordsChanged = false;
  /** Messages that arrived while selected and that this session claimed as \Recent. */
  private readonly recentLater = new Set<number>();

  private constructor(
    private readonly folders: FolderStore,
    public info: MailboxInfo,
    public readonly readOnly: boolean,
    public messages: MessageMeta[],
    /** UIDs in [first, next) are \Recent for this session (its claim at SELECT). */
    private recentRange: { first: number; next: number },
    /** CONDSTORE enabled: flag updates carry MODSEQ. */
    public condstore: boolean,
  ) {
    // QRESYNC (RFC 7162 §3.2.10) is switched on by the session after open()
    this.announced = messages.length;
    for (const m of messages) for (const f of m.flags) if (!f.startsWith('\\')) this.keywords.add(f);
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
    // as a change on the first refresh, never goes unannounced
    const before = (await folders.byId(info.id)) ?? info;
    const messages = await mail.messages(info.id);
    const recent = readOnly || rev2 ? { first: 0, next: 0 } : await folders.claimRecent(info.id);
    const last = messages.length ? messages[messages.length - 1].uid : 0;
    return new SelectedMailbox(folders, { ...before, uidNext: Math.max(before.uidNext, last + 1) }, readOnly, messages, recent, condstore);
  }

  get exists(): number {
    return this.messages.length;
  }

  get recent(): number {
    let n = 0;
    for (const m of this.messages) if (this.isRecent(m)) n++;
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
    let lo = 0;
    let hi = this.messages.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const u = this.messages[mid].uid;
      if (u === uid) return mid;
      if (u < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Messages of a sequence set (by number or by UID), in mailbox order, with their sequence numbers. */
  resolve(ranges: Range[], byUid: boolean): { seq: number; msg: MessageMeta }[] {
    const out: { seq: number; msg: MessageMeta }[] = [];
    const n = this.messages.length;
    if (!n) return out;
    const max = byUid ? this.messages[n - 1].uid : n;
    if (!byUid) {
      for (const [a0, b0] of ranges) {
        const a = Math.min(a0 === Infinity ? max : a0, b0 === Infinity ? max : b0);
        const b = Math.max(a0 === Infinity ? max : a0, b0 === Infinity ? max : b0);
        for (let s = Math.max(1, a); s <= Math.min(n, b); s++) out.push({ seq: s, msg: this.messages[s - 1] });
      }
      out.sort((x, y) => x.seq - y.seq);
      return out.filter((x, i) => i === 0 || out[i - 1].seq !== x.seq);
    }
    this.messages.forEach((msg, i) => {
      if (inSet(ranges, msg.uid, max)) out.push({ seq: i + 1, msg });
    });
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
    for (const m of changed) {
      modseqs.add(m.modseq);
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
    if (arrived.length && !this.readOnly && !this.rev2) {
      // new mail is \Recent in the session that claims it first, and in no other
      const claim = await this.folders.claimRecent(this.info.id);
      for (const uid of arrived) if (uid >= claim.first && uid < claim.next) this.recentLater.add(uid);
    }
    this.info = box;
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

  /** The untagged responses owed to the client, in the order RFC 3501 §7.4.1 needs. */
  updates(allowExpunge: boolean): string[] {
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
    for (const uid of [...this.flagChanged].sort((a, b) => a - b)) {
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
