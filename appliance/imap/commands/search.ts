// SEARCH [RETURN (MIN MAX COUNT ALL SAVE)] [CHARSET charset] key ...
//                                         (RFC 3501 §6.4.4, RFC 4731 ESEARCH, RFC 5182 SEARCHRES)
//   * SEARCH n ... [(MODSEQ m)] | * ESEARCH (TAG "t") [UID] MIN n MAX n COUNT n ALL set / OK
//   RETURN (SAVE) keeps the result for `$`; with IMAP4rev2 enabled (RFC 9051 §6.4.4) every
//   answer is an ESEARCH, RETURN () or no RETURN meaning ALL. After ENABLE UTF8=ACCEPT a CHARSET
//   is a BAD (RFC 6855 §3).
import { BadArgument, type Token } from '../parser.ts';
import { cachedMime } from '../message/mime.ts';
import { matches, needsContent, type Criterion } from '../search/search.ts';
import { R } from '../replies.ts';
import { command } from '../types.ts';
import { U } from '../untagged.ts';
import { selected } from './args.ts';
import { charsetArg, searchKeys, type SearchKeys } from './search-keys.ts';
import { utf8Accepted } from '../utf8-accept.ts';
import { LoopSlice } from '../../runtime/loop-slice.ts';

const usesModseq = (c: Criterion): boolean =>
  c.k === 'modseq' || (c.k === 'not' && usesModseq(c.c)) || (c.k === 'or' && (usesModseq(c.a) || usesModseq(c.b))) || (c.k === 'and' && c.cs.some(usesModseq));

const RETURN_OPTIONS = ['MIN', 'MAX', 'COUNT', 'ALL', 'SAVE'] as const;
export type ReturnOption = (typeof RETURN_OPTIONS)[number];
const isReturnOption = (o: string): o is ReturnOption => (RETURN_OPTIONS as readonly string[]).includes(o);

export interface SearchArgs {
  /** RFC 4731 RETURN options (`RETURN ()` is ALL); null without RETURN. */
  ret: ReturnOption[] | null;
  /** The CHARSET named, upper-cased; null without one. */
  charset: string | null;
  /**
   * The keys, or, under RETURN (SAVE), the BAD they were refused with: RFC 5182 §2.1 wants a
   * failed SEARCH … RETURN (SAVE) to leave `$` empty, which only run can do.
   */
  keys: SearchKeys | { refused: string };
}

function parseReturn(args: Token[]): { ret: ReturnOption[] | null; rest: Token[] } {
  if (!(args[0]?.t === 'atom' && args[0].v.toUpperCase() === 'RETURN')) return { ret: null, rest: args };
  const opts = args[1];
  if (opts?.t !== 'list') throw new BadArgument('Expected RETURN (options)');
  const ret = opts.v.map((t) => (t.t === 'atom' ? t.v.toUpperCase() : ''));
  if (!ret.every(isReturnOption)) throw new BadArgument('Unknown RETURN option');
  return { ret: ret.length ? ret : ['ALL'], rest: args.slice(2) };
}

export function parseSearchArgs(args: Token[]): SearchArgs {
  const { ret, rest } = parseReturn(args);
  let charset: string | null = null;
  try {
    let keys = rest;
    if (rest[0]?.t === 'atom' && rest[0].v.toUpperCase() === 'CHARSET') {
      charset = charsetArg(rest[1]);
      keys = rest.slice(2);
    }
    return { ret, charset, keys: searchKeys(charset, keys) };
  } catch (err) {
    if (!(err instanceof BadArgument) || !ret?.includes('SAVE')) throw err;
    return { ret, charset, keys: { refused: err.message } };
  }
}

export const SEARCH = command({
  syntax: 'SEARCH [RETURN (options)] [CHARSET charset] search-key ...',
  states: ['selected'],
  args: [1, 200],
  uid: true,
  holdExpunge: true,
  readsView: true,
  parse: parseSearchArgs,
  async run(s, a, cmd) {
    const sel = selected(s);
    let ret = a.ret;
    // `$` in the criteria is the result saved before this command
    const saved = new Set(sel.saved);
    // RFC 5182 §2.1: a SEARCH ... RETURN (SAVE) that fails leaves `$` empty
    if (ret?.includes('SAVE')) sel.saved = [];
    if (a.charset !== null && utf8Accepted(s)) return R.charsetAfterUtf8();
    if ('refused' in a.keys) throw new BadArgument(a.keys.refused);
    if ('unsupportedCharset' in a.keys) return R.badCharset();
    const criteria = a.keys.criteria;
    // SEARCH MODSEQ is CONDSTORE-enabling (RFC 7162 §3.1)
    if (usesModseq(criteria)) s.enabled.add('CONDSTORE');
    const content = needsContent(criteria);
    const maxSeq = sel.messages.length;
    const maxUid = maxSeq ? sel.messages[maxSeq - 1].uid : 0;
    const hits: number[] = [];
    const uids: number[] = [];
    const modseqs: number[] = [];
    const list = sel.messages.slice();
    // in time slices: flags alone are a synchronous pass over every message, and a body kept in
    // SQLite is read without giving the loop back either
    const slice = new LoopSlice();
    for (let i = 0; i < list.length; i++) {
      if (slice.due()) {
        await slice.next();
        if (s.closed) return null;
      }
      const msg = list[i];
      if (sel.isExpunged(msg.uid)) continue;
      let loaded = null;
      if (content) {
        const buf = await s.env.stores.mail.read(msg.blobId);
        loaded = { buf, root: cachedMime(msg.blobId, buf) };
      }
      if (matches(criteria, { seq: i + 1, msg, recent: sel.isRecent(msg), maxSeq, maxUid, content: loaded, saved })) {
        hits.push(cmd.uid ? msg.uid : i + 1);
        uids.push(msg.uid);
        modseqs.push(msg.modseq);
      }
    }
    if (ret?.includes('SAVE')) {
      // RFC 5182 §2.4: with MIN and/or MAX but neither ALL nor COUNT, only those are saved
      const onlyEnds = (ret.includes('MIN') || ret.includes('MAX')) && !ret.includes('ALL') && !ret.includes('COUNT');
      const ends = [...new Set([ret.includes('MIN') ? uids[0] : undefined, ret.includes('MAX') ? uids[uids.length - 1] : undefined])];
      sel.saved = onlyEnds ? ends.filter((u): u is number => u !== undefined).sort((a, b) => a - b) : uids;
      ret = ret.filter((o) => o !== 'SAVE');
      // SAVE alone: the result is kept, nothing is sent
      if (!ret.length) return R.done(cmd.uid ? 'UID SEARCH' : 'SEARCH');
    }
    const mod = usesModseq(criteria) && hits.length;
    if (!ret && s.enabled.has('IMAP4REV2')) ret = ['ALL'];
    // RFC 7162 §3.1.5, RFC 4731 §3.2: the highest mod-sequence of the messages returned; with
    // only MIN and/or MAX asked for, those are the ones returned
    const ends = ret && !ret.includes('ALL') && !ret.includes('COUNT') && (ret.includes('MIN') || ret.includes('MAX'));
    const topModseq = !modseqs.length ? 0 : ends
      ? Math.max(ret!.includes('MIN') ? modseqs[0] : 0, ret!.includes('MAX') ? modseqs[modseqs.length - 1] : 0)
      : modseqs.reduce((a, b) => Math.max(a, b), 0);
    const modseq = mod ? topModseq : undefined;
    if (ret) {
      const has = (o: ReturnOption) => ret!.includes(o);
      await s.send(U.esearch(cmd.tag, cmd.uid, {
        min: hits.length && has('MIN') ? hits[0] : undefined,
        max: hits.length && has('MAX') ? hits[hits.length - 1] : undefined,
        count: has('COUNT') ? hits.length : undefined,
        all: has('ALL') ? hits : undefined,
        modseq,
      }));
    } else {
      await s.send(U.search(hits, modseq));
    }
    return R.done(cmd.uid ? 'UID SEARCH' : 'SEARCH');
  },
});
