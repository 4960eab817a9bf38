// FETCH sequence-set items [(CHANGEDSINCE modseq [VANISHED])]   (RFC 3501 §6.4.5, RFC 7162 §3.1.4, §3.2.6)
//   * n FETCH (...) ... / OK. BODY[...] / BINARY[...] (RFC 3516) without .PEEK set \Seen in a
//   read-write mailbox; NO [UNKNOWN-CTE] when a BINARY part's encoding cannot be undone.
import { BadArgument, list, type Token } from '../parser.ts';
import { STREAM_MARK, isRangeItem, isWholeItem, needsContent, needsHeaderOnly, needsParsing, parseFetchItems, renderFetch, type FetchItem } from '../fetch/fetch.ts';
import { prepareMime } from '../message/mime.ts';
import { prepareStructure } from '../message/structure.ts';
import { UnknownCte } from '../message/binary.ts';
import { R } from '../replies.ts';
import { command, type ImapSession, type ParseContext } from '../types.ts';
import { U } from '../untagged.ts';
import { messageSetArg, selected, setRanges, type MessageSet } from './args.ts';
import { utf8Accepted } from '../utf8-accept.ts';
import { inSet } from '../mailbox/sequence.ts';
import { LoopSlice } from '../../runtime/loop-slice.ts';

/** Responses are written in batches of about this many bytes (fewer syscalls, bounded memory). */
const BATCH = 64 * 1024;
/** Messages above this size are read only up to their header when that is all the items need. */
const HEADER_ONLY_ABOVE = 256 * 1024;

/** The message, or its header section alone (when it has one that ends within the header limit). */
async function messageBytes(s: ImapSession, blobId: string, headerOnly: boolean): Promise<Buffer | null> {
  try {
    if (headerOnly) {
      const header = await (await s.env.stores.mail.content(blobId)).header();
      if (header.subarray(-4).equals(Buffer.from('\r\n\r\n'))) return header;
    }
    return await s.env.stores.mail.read(blobId);
  } catch {
    return null;
  }
}

export interface FetchArgs {
  set: MessageSet;
  items: FetchItem[];
  /** RFC 7162 §3.1.4 CHANGEDSINCE; null without. */
  changedSince: number | null;
  /** RFC 7162 §3.2.6 VANISHED (with CHANGEDSINCE). */
  vanished: boolean;
}

export function parseFetch(args: Token[], ctx: ParseContext): FetchArgs {
  const set = messageSetArg(args[0], ctx);
  const items = parseFetchItems(args[1]);
  if (!args[2]) return { set, items, changedSince: null, vanished: false };
  const mods = list(args[2], 'fetch modifiers');
  const name = mods[0]?.t === 'atom' ? mods[0].v.toUpperCase() : '';
  const value = mods[1]?.t === 'atom' ? mods[1].v : '';
  const extra = mods[2]?.t === 'atom' ? mods[2].v.toUpperCase() : '';
  if (name !== 'CHANGEDSINCE' || !/^\d{1,20}$/.test(value) || mods.length > 3 || (mods.length === 3 && extra !== 'VANISHED')) {
    throw new BadArgument('Invalid fetch modifier');
  }
  return { set, items, changedSince: Number(value), vanished: extra === 'VANISHED' };
}

export const FETCH = command({
  syntax: 'FETCH sequence-set (items) [(CHANGEDSINCE modseq)]',
  states: ['selected'],
  args: [2, 3],
  uid: true,
  holdExpunge: true,
  readsView: true,
  parse: parseFetch,
  async run(s, a, cmd) {
    const sel = selected(s);
    const set = setRanges(sel, a.set);
    // the items of this response: UID, MODSEQ and FLAGS may be added below
    const items: FetchItem[] = [...a.items];
    const { changedSince } = a;
    if (changedSince !== null) {
      if (a.vanished) {
        // RFC 7162 §3.2.6: UID FETCH only, and only once QRESYNC is enabled
        if (!cmd.uid || !s.enabled.has('QRESYNC')) throw new BadArgument('VANISHED needs UID FETCH and QRESYNC');
        const gone = (await s.env.stores.folders.vanished(sel.info.id, changedSince)).filter((u) => inSet(set.ranges, u, sel.info.uidNext - 1));
        if (gone.length) await s.send(U.vanished(gone, true));
      }
      s.enabled.add('CONDSTORE');
      sel.condstore = true;
    }
    const has = (k: string) => items.some((i) => i.kind === k);
    // FETCH MODSEQ is CONDSTORE-enabling (RFC 7162 §3.1)
    if (has('MODSEQ')) s.enabled.add('CONDSTORE');
    if (cmd.uid && !has('UID')) items.unshift({ kind: 'UID' });
    if ((sel.condstore || changedSince !== null) && !has('MODSEQ')) items.push({ kind: 'MODSEQ' });
    // BODY[] / RFC822 alone (with items that need no parsing) are streamed from the store with
    // back-pressure: a client that does not read holds this command, not the message in memory
    const streamed = !needsParsing(items) && items.some(isWholeItem) && !items.some(isRangeItem);
    const content = !streamed && needsContent(items);
    // ENVELOPE / BODY[HEADER.FIELDS (…)] of a large message (a client listing a folder) read its
    // header section, not the whole message
    const headerOnly = content && needsHeaderOnly(items) && !items.some(isRangeItem) && !items.some(isWholeItem);
    const rangeItems = items.filter(isRangeItem);
    const setsSeen = !sel.readOnly && items.some((i) => (i.kind === 'section' || i.kind === 'binary') && i.setsSeen);
    const requested = sel.resolve(set.ranges, set.byUid);
    let targets = requested.filter((t) => !sel.isExpunged(t.msg.uid));
    // RFC 5530: a message expunged by another session keeps its number until the EXPUNGE is
    // sent, but its data is gone; by UID it simply no longer exists (and the EXPUNGE follows)
    const gone = !cmd.uid && targets.length < requested.length;
    if (changedSince !== null) targets = targets.filter((t) => t.msg.modseq > changedSince);
    if (setsSeen) {
      const unseen = targets.filter((t) => !t.msg.flags.includes('\\Seen')).map((t) => t.msg.uid);
      if (unseen.length) {
        const { updated } = await s.env.stores.folders.setFlags(sel.info.id, unseen, 'add', ['\\Seen']);
        sel.applyOwn(updated);
        if (!has('FLAGS')) items.push({ kind: 'FLAGS' });
        targets = targets.map((t) => ({ seq: t.seq, msg: sel.messages[t.seq - 1] ?? t.msg }));
      }
    }
    let batch: Buffer[] = [];
    let size = 0;
    // a socket write the kernel takes at once calls back before any other I/O, so a client that
    // reads fast never makes this loop wait: it yields on its own every slice (`UID FETCH 1:*
    // (FLAGS)` of 100,000 messages held the loop 700–980 ms in one piece)
    const slice = new LoopSlice();
    for (const t of targets) {
      if (slice.due()) {
        await slice.next();
        if (s.closed) return null;
      }
      const whole = streamed ? await s.env.stores.mail.content(t.msg.blobId).catch(() => null) : null;
      if (streamed && !whole) continue;
      const bytes = content ? await messageBytes(s, t.msg.blobId, headerOnly && t.msg.size > HEADER_ONLY_ABOVE) : null;
      if (content && !bytes) continue;
      let ranges: Map<FetchItem, Buffer> | undefined;
      if (!content && rangeItems.length) {
        ranges = new Map();
        for (const i of rangeItems) {
          const [start, len] = (i as { partial: [number, number] }).partial;
          ranges.set(i, start >= t.msg.size ? Buffer.alloc(0) : await s.env.stores.folders.readRange(t.msg.blobId, start, Math.min(len, t.msg.size - start)));
        }
      }
      // the tree and its line counts are made in slices first, so rendering holds the loop briefly
      if (bytes) {
        const root = await prepareMime(t.msg.blobId, bytes);
        if (has('BODYSTRUCTURE')) await prepareStructure(bytes, root, true, utf8Accepted(s));
        if (has('BODY')) await prepareStructure(bytes, root, false, utf8Accepted(s));
      }
      let out: Buffer;
      try {
        out = renderFetch(items, { seq: t.seq, msg: t.msg, flags: sel.flagsOf(t.msg), content: bytes, ranges, streamSize: whole?.size, utf8: utf8Accepted(s) });
      } catch (err) {
        if (!(err instanceof UnknownCte)) throw err;
        if (batch.length) await s.send(Buffer.concat(batch));
        return R.unknownCte();
      }
      if (whole) {
        // the pieces around each mark, and the message streamed at every mark
        let from = 0;
        for (let mark = out.indexOf(STREAM_MARK); mark >= 0; mark = out.indexOf(STREAM_MARK, from)) {
          batch.push(out.subarray(from, mark));
          await s.send(Buffer.concat(batch));
          batch = [];
          size = 0;
          for await (const chunk of whole.stream()) {
            if (s.closed) return null;
            await s.send(chunk as Buffer);
          }
          from = mark + 1;
        }
        out = out.subarray(from);
      }
      batch.push(out);
      size += out.length;
      if (size >= BATCH) {
        await s.send(Buffer.concat(batch));
        if (s.closed) return null;
        batch = [];
        size = 0;
      }
    }
    if (batch.length) await s.send(Buffer.concat(batch));
    if (gone) return R.expungeIssued();
    return R.done(cmd.uid ? 'UID FETCH' : 'FETCH');
  },
});
