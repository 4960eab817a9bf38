/**
 * SORT and THREAD (RFC 5256): sort keys over decoded headers, the "base subject" of §2.1,
 * and the ORDEREDSUBJECT and REFERENCES threading algorithms.
 */
import type { MessageMeta } from '../../../core/store/ports.ts';
import { BadArgument } from '../parser.ts';
import { header, type MimePart } from '../message/mime.ts';
import { firstAddrMailbox, parseAddressList } from '../message/addresses.ts';
import { baseSubject } from './base-subject.ts';
import { parseSentDate } from '../message/sent-date.ts';

export type SortKey = 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO';
export interface SortCriterion { key: SortKey; reverse: boolean }

const KEYS = new Set<string>(['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO']);

export function parseSortCriteria(words: string[]): SortCriterion[] {
  const out: SortCriterion[] = [];
  let reverse = false;
  for (const w of words.map((x) => x.toUpperCase())) {
    if (w === 'REVERSE') {
      if (reverse) throw new BadArgument('REVERSE twice');
      reverse = true;
      continue;
    }
    if (!KEYS.has(w)) throw new BadArgument(`Unknown sort key ${w.slice(0, 20)}`);
    out.push({ key: w as SortKey, reverse });
    reverse = false;
  }
  if (!out.length || reverse) throw new BadArgument('Invalid sort criteria');
  return out;
}

/** RFC 5256 §3: the addr-mailbox of the first address, compared case-insensitively. */
function firstMailbox(raw: string | null): string {
  return firstAddrMailbox(parseAddressList(raw)).toUpperCase();
}

/** The sent date (or the internal date when there is none or it cannot be parsed), RFC 5256 §BASE.6.4.2. */
export function sentDate(msg: MessageMeta, root: MimePart | null): number {
  return parseSentDate(root ? header(root, 'date') : null)?.time ?? msg.internalDate.getTime();
}

export interface SortItem { seq: number; msg: MessageMeta; root: MimePart | null }

function keyValue(item: SortItem, key: SortKey): string | number {
  const h = (k: string) => (item.root ? header(item.root, k) : null);
  switch (key) {
    case 'ARRIVAL': return item.msg.internalDate.getTime();
    case 'SIZE': return item.msg.size;
    case 'DATE': return sentDate(item.msg, item.root);
    case 'FROM': return firstMailbox(h('from'));
    case 'TO': return firstMailbox(h('to'));
    case 'CC': return firstMailbox(h('cc'));
    case 'SUBJECT': return baseSubject(h('subject'));
  }
}

export function sortItems(items: SortItem[], criteria: SortCriterion[]): SortItem[] {
  const keyed = items.map((it) => ({ it, keys: criteria.map((c) => keyValue(it, c.key)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < criteria.length; i++) {
      const x = a.keys[i];
      const y = b.keys[i];
      const c = x < y ? -1 : x > y ? 1 : 0;
      if (c) return criteria[i].reverse ? -c : c;
    }
    // ties are broken by sequence number (RFC 5256 §3)
    return a.it.seq - b.it.seq;
  });
  return keyed.map((k) => k.it);
}

export interface ThreadNode { id: number | null; children: ThreadNode[] }

/** ORDEREDSUBJECT (RFC 5256 §BASE.6.4.3 "ORDEREDSUBJECT"). */
export function threadOrderedSubject(items: SortItem[], byUid: boolean): ThreadNode[] {
  const sorted = items
    .map((it) => ({ it, subj: baseSubject(it.root ? header(it.root, 'subject') : null), date: sentDate(it.msg, it.root) }))
    .sort((a, b) => (a.subj < b.subj ? -1 : a.subj > b.subj ? 1 : a.date - b.date || a.it.seq - b.it.seq));
  const threads: { date: number; node: ThreadNode }[] = [];
  let current: { subj: string; node: ThreadNode } | null = null;
  for (const s of sorted) {
    const node: ThreadNode = { id: byUid ? s.it.msg.uid : s.it.seq, children: [] };
    if (current && current.subj === s.subj) current.node.children.push(node);
    else {
      current = { subj: s.subj, node };
      threads.push({ date: s.date, node });
    }
  }
  threads.sort((a, b) => a.date - b.date);
  // the messages after the first of a thread are its children, in order (a flat list)
  return threads.map((t) => ({ id: t.node.id, children: t.node.children.length ? [chain(t.node.children)] : [] }));
}

function chain(nodes: ThreadNode[]): ThreadNode {
  // ORDEREDSUBJECT's children are siblings of one level: (a (b)(c)) is written as "(a (b)(c))"
  return nodes.length === 1 ? nodes[0] : { id: null, children: nodes };
}

/** Writes threads as RFC 5256 §4 `thread-list`. */
export function formatThreads(roots: ThreadNode[]): string {
  const fmt = (n: ThreadNode): string => {
    if (n.id === null) return n.children.map((c) => `(${fmt(c)})`).join('');
    if (!n.children.length) return String(n.id);
    if (n.children.length === 1) return `${n.id} ${fmt(n.children[0])}`;
    return `${n.id} ${n.children.map((c) => `(${fmt(c)})`).join('')}`;
  };
  return roots.map((r) => `(${fmt(r)})`).join('');
}
