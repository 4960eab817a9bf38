/**
 * SEARCH criteria (RFC 3501 §6.4.4, RFC 7162 MODSEQ): parsed into a tree once, then matched
 * against each message. Message bytes are read only when a key needs them.
 */
import type { MessageMeta } from '../../../core/store/ports.ts';
import { astring, BadArgument, type Token } from '../parser.ts';
import { parseDate } from '../wire.ts';
import { header, type MimePart } from '../message/mime.ts';
import { addressText, parseAddressList } from '../message/addresses.ts';
import { parseSentDate } from '../message/sent-date.ts';
import { parseSequenceSet, inSet, type Range } from '../mailbox/sequence.ts';
import { bodyText, contains, decodeHeaderValue } from '../message/text.ts';
import { isObjectId } from '../message/object-ids.ts';

export type Criterion =
  | { k: 'all' }
  | { k: 'flag'; flag: string; set: boolean }
  | { k: 'recent'; set: boolean }
  | { k: 'new' }
  /** `address`: FROM/TO/CC/BCC, matched against the parsed addresses as well as the text. */
  | { k: 'header'; field: string; value: string; address?: boolean }
  | { k: 'body' | 'text'; value: string }
  | { k: 'date'; internal: boolean; op: 'before' | 'on' | 'since'; day: number }
  | { k: 'size'; larger: boolean; n: number }
  | { k: 'seq' | 'uid'; set: Range[] }
  | { k: 'modseq'; n: number }
  /** EMAILID / THREADID objectid (RFC 8474 §6). */
  | { k: 'emailid' | 'threadid'; id: string }
  /** `$`: the saved search result (RFC 5182). */
  | { k: 'saved' }
  | { k: 'not'; c: Criterion }
  | { k: 'or'; a: Criterion; b: Criterion }
  | { k: 'and'; cs: Criterion[] };

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true], DELETED: ['\\Deleted', true], DRAFT: ['\\Draft', true], FLAGGED: ['\\Flagged', true], SEEN: ['\\Seen', true],
  UNANSWERED: ['\\Answered', false], UNDELETED: ['\\Deleted', false], UNDRAFT: ['\\Draft', false], UNFLAGGED: ['\\Flagged', false], UNSEEN: ['\\Seen', false],
};
const HEADER_KEYS = new Set(['FROM', 'TO', 'CC', 'BCC', 'SUBJECT']);
const DATE_KEYS: Record<string, [boolean, 'before' | 'on' | 'since']> = {
  BEFORE: [true, 'before'], ON: [true, 'on'], SINCE: [true, 'since'],
  SENTBEFORE: [false, 'before'], SENTON: [false, 'on'], SENTSINCE: [false, 'since'],
};

/** Parses search keys (after an optional CHARSET, which the caller removed). */
export function parseSearch(tokens: Token[], depth = 0): Criterion {
  let i = 0;
  // NOT/OR/parentheses nest; a hostile command must not exhaust the stack
  if (depth > 64) throw new BadArgument('Search criteria nested too deeply');
  const next = (what: string): Token => {
    const t = tokens[i++];
    if (!t) throw new BadArgument(`Missing ${what}`);
    return t;
  };
  const one = (): Criterion => {
    const tok = next('search key');
    if (tok.t === 'list') return parseSearch(tok.v, depth + 1);
    if (tok.t !== 'atom') throw new BadArgument('Invalid search key');
    const key = tok.v.toUpperCase();
    if (key === 'ALL') return { k: 'all' };
    if (FLAG_KEYS[key]) return { k: 'flag', flag: FLAG_KEYS[key][0], set: FLAG_KEYS[key][1] };
    if (key === 'RECENT' || key === 'OLD') return { k: 'recent', set: key === 'RECENT' };
    if (key === 'NEW') return { k: 'new' };
    if (key === 'KEYWORD' || key === 'UNKEYWORD') return { k: 'flag', flag: astring(next('keyword')), set: key === 'KEYWORD' };
    if (HEADER_KEYS.has(key)) return { k: 'header', field: key.toLowerCase(), value: astring(next('string')), address: key !== 'SUBJECT' };
    if (key === 'HEADER') return { k: 'header', field: astring(next('field name')).toLowerCase(), value: astring(next('string')) };
    if (key === 'BODY' || key === 'TEXT') return { k: key === 'BODY' ? 'body' : 'text', value: astring(next('string')) };
    if (DATE_KEYS[key]) {
      const d = parseDate(astring(next('date')));
      if (!d) throw new BadArgument('Invalid date');
      return { k: 'date', internal: DATE_KEYS[key][0], op: DATE_KEYS[key][1], day: d.getTime() };
    }
    if (key === 'LARGER' || key === 'SMALLER') {
      const n = astring(next('number'));
      if (!/^\d{1,20}$/.test(n)) throw new BadArgument('Invalid number');
      return { k: 'size', larger: key === 'LARGER', n: Number(n) };
    }
    if (key === 'EMAILID' || key === 'THREADID') {
      const id = astring(next('objectid'));
      if (!isObjectId(id)) throw new BadArgument('Invalid objectid');
      return { k: key === 'EMAILID' ? 'emailid' : 'threadid', id };
    }
    if (key === '$') return { k: 'saved' };
    if (key === 'UID') {
      const text = astring(next('sequence set'));
      if (text === '$') return { k: 'saved' };
      const set = parseSequenceSet(text);
      if (!set) throw new BadArgument('Invalid sequence set');
      return { k: 'uid', set };
    }
    if (key === 'MODSEQ') {
      // MODSEQ [entry-name entry-type] mod-sequence-valzer (RFC 7162 §3.1.5)
      let n = astring(next('mod-sequence'));
      if (!/^\d+$/.test(n)) {
        // entry-name is "/flags/" flag-name, entry-type-req "priv" / "shared" / "all"; the
        // mod-sequence compared is the message's, which covers every entry
        if (!n.toLowerCase().startsWith('/flags/')) throw new BadArgument('Invalid MODSEQ entry name');
        const type = astring(next('entry type')).toLowerCase();
        if (type !== 'priv' && type !== 'shared' && type !== 'all') throw new BadArgument('Invalid MODSEQ entry type');
        n = astring(next('mod-sequence'));
      }
      if (!/^\d{1,20}$/.test(n)) throw new BadArgument('Invalid mod-sequence');
      return { k: 'modseq', n: Number(n) };
    }
    if (key === 'NOT' || key === 'OR') {
      if (++depth > 64) throw new BadArgument('Search criteria nested too deeply');
      if (key === 'NOT') return { k: 'not', c: one() };
      const a = one();
      return { k: 'or', a, b: one() };
    }
    const set = parseSequenceSet(tok.v);
    if (set) return { k: 'seq', set };
    throw new BadArgument(`Unknown search key ${tok.v.slice(0, 30)}`);
  };
  const cs: Criterion[] = [];
  while (i < tokens.length) cs.push(one());
  if (!cs.length) throw new BadArgument('Missing search criteria');
  return cs.length === 1 ? cs[0] : { k: 'and', cs };
}

export function needsContent(c: Criterion): boolean {
  switch (c.k) {
    case 'header': case 'body': case 'text': return true;
    case 'date': return !c.internal;
    case 'not': return needsContent(c.c);
    case 'or': return needsContent(c.a) || needsContent(c.b);
    case 'and': return c.cs.some(needsContent);
    default: return false;
  }
}

export interface MatchContext {
  seq: number;
  msg: MessageMeta;
  recent: boolean;
  /** Largest sequence number and UID, for `*`. */
  maxSeq: number;
  maxUid: number;
  content: { buf: Buffer; root: MimePart } | null;
  /** UIDs of the saved search result, for `$`. */
  saved?: Set<number>;
}

const DAY = 86_400_000;
const dayOf = (t: number) => Math.floor(t / DAY) * DAY;

function sentDay(root: MimePart): number | null {
  // RFC 3501: the date only, disregarding time and timezone, so the sender's local date
  const d = parseSentDate(header(root, 'date'));
  return d ? dayOf(d.time + d.offset * 60_000) : null;
}

export function matches(c: Criterion, x: MatchContext): boolean {
  const hasFlag = (f: string) => x.msg.flags.some((g) => g.toLowerCase() === f.toLowerCase());
  switch (c.k) {
    case 'all': return true;
    case 'flag': return hasFlag(c.flag) === c.set;
    case 'recent': return x.recent === c.set;
    case 'new': return x.recent && !hasFlag('\\Seen');
    case 'size': return c.larger ? x.msg.size > c.n : x.msg.size < c.n;
    case 'seq': return inSet(c.set, x.seq, x.maxSeq);
    case 'uid': return inSet(c.set, x.msg.uid, x.maxUid);
    case 'modseq': return x.msg.modseq >= c.n;
    case 'saved': return x.saved?.has(x.msg.uid) ?? false;
    // objectids are compared as they are, byte for byte
    case 'emailid': return x.msg.emailId === c.id;
    // the thread is stored with the message (MessageMeta.threadId): no message is read for it
    case 'threadid': return x.msg.threadId === c.id;
    case 'not': return !matches(c.c, x);
    case 'or': return matches(c.a, x) || matches(c.b, x);
    case 'and': return c.cs.every((y) => matches(y, x));
    case 'date': {
      const day = c.internal ? dayOf(x.msg.internalDate.getTime()) : x.content ? sentDay(x.content.root) : null;
      if (day === null) return false;
      return c.op === 'before' ? day < c.day : c.op === 'on' ? day === c.day : day >= c.day;
    }
    case 'header': {
      const root = x.content!.root;
      const values = root.headers.filter((h) => h.key === c.field);
      // HEADER field "" matches every message that has the field
      if (!c.value) return values.length > 0;
      // an address is found however the header wrote it (comments in it, a group around it)
      return values.some((h) => contains(decodeHeaderValue(h.value), c.value) || (c.address && contains(decodeHeaderValue(addressText(parseAddressList(h.value))), c.value)));
    }
    case 'body': return contains(bodyText(x.content!.buf, x.content!.root), c.value);
    case 'text': {
      const root = x.content!.root;
      return root.headers.some((h) => contains(decodeHeaderValue(h.raw), c.value)) || contains(bodyText(x.content!.buf, root), c.value);
    }
  }
}
