// SORT (sort-criteria) charset search-key ...        (RFC 5256 §3)
//   * SORT n ... / OK
// THREAD ORDEREDSUBJECT|REFERENCES charset search-key ...   (RFC 5256 §3)
//   * THREAD (n m)(k) ... / OK
import { atom, BadArgument, list, type Token } from '../parser.ts';
import { cachedMime } from '../message/mime.ts';
import { matches, type Criterion } from '../search/search.ts';
import { threadReferences } from '../search/thread-references.ts';
import { formatThreads, parseSortCriteria, sortItems, threadOrderedSubject, type SortCriterion, type SortItem } from '../search/sort.ts';
import { R } from '../replies.ts';
import { command, type ImapSession } from '../types.ts';
import { U } from '../untagged.ts';
import { selected } from './args.ts';
import { charsetArg, searchKeys, type SearchKeys } from './search-keys.ts';
import { LoopSlice } from '../../runtime/loop-slice.ts';

export interface SortArgs {
  sort: SortCriterion[];
  charset: string;
  keys: SearchKeys;
}

export type ThreadAlgorithm = 'ORDEREDSUBJECT' | 'REFERENCES';

export interface ThreadArgs {
  algorithm: ThreadAlgorithm;
  charset: string;
  keys: SearchKeys;
}

export function parseSortArgs(args: Token[]): SortArgs {
  const sort = parseSortCriteria(list(args[0], 'sort criteria').map((t) => atom(t, 'sort key')));
  const charset = charsetArg(args[1]);
  return { sort, charset, keys: searchKeys(charset, args.slice(2)) };
}

export function parseThreadArgs(args: Token[]): ThreadArgs {
  const algorithm = atom(args[0], 'threading algorithm').toUpperCase();
  if (algorithm !== 'ORDEREDSUBJECT' && algorithm !== 'REFERENCES') throw new BadArgument('Unsupported threading algorithm');
  const charset = charsetArg(args[1]);
  return { algorithm, charset, keys: searchKeys(charset, args.slice(2)) };
}

async function candidates(s: ImapSession, criteria: Criterion): Promise<SortItem[]> {
  const sel = selected(s);
  const maxSeq = sel.messages.length;
  const maxUid = maxSeq ? sel.messages[maxSeq - 1].uid : 0;
  const out: SortItem[] = [];
  const saved = new Set(sel.saved);
  // in time slices: a message kept in SQLite is read without giving the loop back
  const slice = new LoopSlice();
  for (let i = 0; i < sel.messages.length; i++) {
    if (slice.due()) await slice.next();
    const msg = sel.messages[i];
    if (sel.isExpunged(msg.uid)) continue;
    // sort keys and threading read headers, so every candidate is parsed anyway
    const buf = await s.env.stores.mail.read(msg.blobId).catch(() => null);
    const root = buf ? cachedMime(msg.blobId, buf) : null;
    const content = buf && root ? { buf, root } : null;
    if (matches(criteria, { seq: i + 1, msg, recent: sel.isRecent(msg), maxSeq, maxUid, content, saved })) out.push({ seq: i + 1, msg, root });
  }
  return out;
}

export const SORT = command({
  syntax: 'SORT (sort-criteria) charset search-key ...',
  states: ['selected'],
  args: [3, 200],
  uid: true,
  holdExpunge: true,
  readsView: true,
  parse: parseSortArgs,
  async run(s, a, cmd) {
    if ('unsupportedCharset' in a.keys) return R.badCharset();
    const items = await candidates(s, a.keys.criteria);
    const ids = sortItems(items, a.sort).map((it) => (cmd.uid ? it.msg.uid : it.seq));
    await s.send(U.sort(ids));
    return R.done(cmd.uid ? 'UID SORT' : 'SORT');
  },
});

export const THREAD = command({
  syntax: 'THREAD ORDEREDSUBJECT|REFERENCES charset search-key ...',
  states: ['selected'],
  args: [3, 200],
  uid: true,
  holdExpunge: true,
  readsView: true,
  parse: parseThreadArgs,
  async run(s, a, cmd) {
    if ('unsupportedCharset' in a.keys) return R.badCharset();
    const items = await candidates(s, a.keys.criteria);
    const threads = a.algorithm === 'REFERENCES' ? threadReferences(items, cmd.uid) : threadOrderedSubject(items, cmd.uid);
    await s.send(U.thread(formatThreads(threads)));
    return R.done(cmd.uid ? 'UID THREAD' : 'THREAD');
  },
});
