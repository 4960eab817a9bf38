/**
 * THREAD=REFERENCES (RFC 5256 §BASE.6.4.4 "REFERENCES", after JWZ): parent/child links from
 * Message-ID, References and In-Reply-To, empty containers pruned, roots grouped by base
 * subject, everything ordered by sent date.
 */
import { header } from '../message/mime.ts';
import { sentDate, type SortItem, type ThreadNode } from './sort.ts';
import { extractSubject } from './base-subject.ts';

interface Container {
  item: SortItem | null;
  parent: Container | null;
  children: Container[];
}

const ids = (raw: string | null): string[] => (raw ?? '').match(/<[^<>\s]+>/g) ?? [];

function isAncestor(a: Container, b: Container): boolean {
  for (let p: Container | null = b; p; p = p.parent) if (p === a) return true;
  return false;
}

function link(parent: Container, child: Container): void {
  if (child.parent === parent || isAncestor(child, parent)) return;
  if (child.parent) child.parent.children = child.parent.children.filter((c) => c !== child);
  child.parent = parent;
  parent.children.push(child);
}

function dateOf(c: Container): number {
  if (c.item) return sentDate(c.item.msg, c.item.root);
  return c.children.length ? dateOf(c.children[0]) : 0;
}
const seqOf = (c: Container): number => (c.item ? c.item.seq : c.children.length ? seqOf(c.children[0]) : 0);

function sortTree(list: Container[]): void {
  for (const c of list) sortTree(c.children);
  list.sort((a, b) => dateOf(a) - dateOf(b) || seqOf(a) - seqOf(b));
}

function subjectOf(c: Container): { base: string; reply: boolean } {
  const src = c.item ?? c.children[0]?.item ?? null;
  const raw = src?.root ? header(src.root, 'subject') : null;
  // a reply or forward marker was taken off, not merely a [blob] (RFC 5256 §2.1)
  const { base, replyOrForward } = extractSubject(raw);
  return { base, reply: replyOrForward };
}

export function threadReferences(items: SortItem[], byUid: boolean): ThreadNode[] {
  const table = new Map<string, Container>();
  const get = (id: string): Container => {
    let c = table.get(id);
    if (!c) table.set(id, (c = { item: null, parent: null, children: [] }));
    return c;
  };
  let unique = 0;
  for (const item of items) {
    const root = item.root;
    let id = ids(root ? header(root, 'message-id') : null)[0];
    if (!id || table.get(id)?.item) id = `<unique-${++unique}@thread>`;
    const own = get(id);
    own.item = item;
    let refs = ids(root ? header(root, 'references') : null);
    if (!refs.length) refs = ids(root ? header(root, 'in-reply-to') : null).slice(0, 1);
    let prev: Container | null = null;
    for (const ref of refs) {
      const c = get(ref);
      if (prev && !c.parent) link(prev, c);
      prev = c;
    }
    if (prev && prev !== own && !isAncestor(own, prev)) link(prev, own);
    else if (!prev && own.parent) {
      own.parent.children = own.parent.children.filter((c) => c !== own);
      own.parent = null;
    }
  }
  // prune empty containers (RFC 5256 step 4)
  const prune = (list: Container[], atRoot: boolean): Container[] => {
    const out: Container[] = [];
    for (const c of list) {
      c.children = prune(c.children, false);
      if (c.item) out.push(c);
      else if (!c.children.length) continue;
      else if (!atRoot || c.children.length === 1) {
        for (const k of c.children) k.parent = c.parent;
        out.push(...c.children);
      } else out.push(c);
    }
    return out;
  };
  let roots = prune([...new Set(table.values())].filter((c) => !c.parent), true);
  for (const r of roots) r.parent = null;
  sortTree(roots);
  // group roots by base subject (step 5): a dummy or a non-reply message wins the subject
  const subjects = new Map<string, Container>();
  for (const c of roots) {
    const { base, reply } = subjectOf(c);
    if (!base) continue;
    const old = subjects.get(base);
    if (!old || (old.item && !c.item) || (old.item && c.item && subjectOf(old).reply && !reply)) subjects.set(base, c);
  }
  const consumed = new Set<Container>();
  const result: Container[] = [];
  for (const c of roots) {
    if (consumed.has(c)) continue;
    const { base, reply } = subjectOf(c);
    const t = base ? subjects.get(base) : undefined;
    if (!t || t === c) {
      result.push(c);
      continue;
    }
    const placed = result.includes(t);
    if (!t.item && !c.item) {
      for (const k of c.children) k.parent = t;
      t.children.push(...c.children);
    } else if (!t.item || (!subjectOf(t).reply && reply)) {
      c.parent = t;
      t.children.push(c);
    } else {
      const dummy: Container = { item: null, parent: null, children: [t, c] };
      t.parent = dummy;
      c.parent = dummy;
      subjects.set(base, dummy);
      if (placed) result[result.indexOf(t)] = dummy;
      else {
        result.push(dummy);
        consumed.add(t);
      }
      continue;
    }
    if (!placed) {
      result.push(t);
      consumed.add(t);
    }
  }
  roots = result;
  sortTree(roots);
  const toNode = (c: Container): ThreadNode => ({ id: c.item ? (byUid ? c.item.msg.uid : c.item.seq) : null, children: c.children.map(toNode) });
  return roots.map(toNode);
}
