// SEARCH [RETURN (MIN MAX COUNT ALL SAVE)] [CHARSET charset] key ...
//                                         (RFC 3501 §6.4.4, RFC 4731 ESEARCH, RFC 5182 SEARCHRES)
//   * SEARCH n ... [(MODSEQ m)] | * ESEARCH (TAG "t") [UID] MIN n MAX n COUNT n ALL set / OK
//   RETURN (SAVE) keeps the result for `$`; with IMAP4rev2 enabled (RFC 9051 §6.4.4) every
//   answer is an ESEARCH, RETURN () or no RETURN meaning ALL. After ENABLE UTF8=ACCEPT a CHARSET
//   is a BAD (RFC 6855 §3).
import { astring, BadArgument, type Token } from '../parser.ts';
import { cachedMime } from '../message/mime.ts';
import { matches, needsContent, parseSearch, type Criterion } from '../search/search.ts';
import { compactSet } from '../mailbox/sequence.ts';
import { R } from '../replies.ts';
import type { Command, Completion, CommandSpec, ImapSession } from '../types.ts';
import { selected, rawArgs } from './args.ts';
import { utf8Accepted } from '../utf8-accept.ts';

const usesModseq = (c: Criterion): boolean =>
  c.k === 'modseq' || (c.k === 'not' && usesModseq(c.c)) || (c.k === 'or' && (usesModseq(c.a) || usesModseq(c.b))) || (c.k === 'and' && c.cs.some(usesModseq));

const RETURN_OPTIONS = ['MIN', 'MAX', 'COUNT', 'ALL', 'SAVE'];

function parseReturn(args: Token[]): { ret: string[] | null; rest: Token[] } {
  if (!(args[0]?.t === 'atom' && args[0].v.toUpperCase() === 'RETURN')) return { ret: null, rest: args };
  const opts = args[1];
  if (opts?.t !== 'list') throw new BadArgument('Expected RETURN (options)');
  const ret = opts.v.map((t) => (t.t === 'atom' ? t.v.toUpperCase() : ''));
  if (ret.some((o) => !RETURN_OPTIONS.includes(o))) throw new BadArgument('Unknown RETURN option');
  return { ret: ret.length ? ret : ['ALL'], rest: args.slice(2) };
}

async function search(s: ImapSession, cmd: Command): Promise<Completion> {
  const sel = selected(s);
  const parsed = parseReturn(cmd.args);
  let { ret } = parsed;
  let args = parsed.rest;
  // `$` in the criteria is the result saved before this command
  const saved = new Set(sel.saved);
  // RFC 5182 §2.1: a SEARCH ... RETURN (SAVE) that fails leaves `$` empty
  if (ret?.includes('SAVE')) sel.saved = [];
  if (args[0]?.t === 'atom' && args[0].v.toUpperCase() === 'CHARSET') {
    if (utf8Accepted(s)) return R.charsetAfterUtf8();
    const cs = astring(args[1], 'charset').toUpperCase();
    if (cs !== 'UTF-8' && cs !== 'US-ASCII') return R.badCharset();
    args = args.slice(2);
  }
  const criteria = parseSearch(args);
  // SEARCH MODSEQ is CONDSTORE-enabling (RFC 7162 §3.1)
  if (usesModseq(criteria)) s.enabled.add('CONDSTORE');
  const content = needsContent(criteria);
  const maxSeq = sel.messages.length;
  const maxUid = maxSeq ? sel.messages[maxSeq - 1].uid : 0;
  const hits: number[] = [];
  const uids: number[] = [];
  const modseqs: number[] = [];
  const list = sel.messages.slice();
  for (let i = 0; i < list.length; i++) {
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
  if (ret) {
    const parts = [`* ESEARCH (TAG "${cmd.tag}")${cmd.uid ? ' UID' : ''}`];
    if (hits.length && ret.includes('MIN')) parts.push(`MIN ${hits[0]}`);
    if (hits.length && ret.includes('MAX')) parts.push(`MAX ${hits[hits.length - 1]}`);
    if (ret.includes('COUNT')) parts.push(`COUNT ${hits.length}`);
    if (hits.length && ret.includes('ALL')) parts.push(`ALL ${compactSet(hits)}`);
    if (mod) parts.push(`MODSEQ ${topModseq}`);
    await s.send(parts.join(' ') + '\r\n');
  } else {
    await s.send(`* SEARCH${hits.map((n) => ` ${n}`).join('')}${mod ? ` (MODSEQ ${topModseq})` : ''}\r\n`);
  }
  return R.done(cmd.uid ? 'UID SEARCH' : 'SEARCH');
}

export const SEARCH: CommandSpec = {
  syntax: 'SEARCH [RETURN (options)] [CHARSET charset] search-key ...',
  states: ['selected'],
  args: [1, 200],
  uid: true,
  holdExpunge: true,
  parse: rawArgs,
  run: (s, _args, cmd) => search(s, cmd),
};
