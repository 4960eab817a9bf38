// SORT (sort-criteria) charset search-key ...        (RFC 5256 §3)
//   * SORT n ... / OK
// THREAD ORDEREDSUBJECT|REFERENCES charset search-key ...   (RFC 5256 §3)
//   * THREAD (n m)(k) ... / OK
import { astring, atom, BadArgument, list } from '../parser.ts';
import { cachedMime } from '../message/mime.ts';
import { matches, parseSearch } from '../search/search.ts';
import { threadReferences } from '../search/thread-references.ts';
import { formatThreads, parseSortCriteria, sortItems, threadOrderedSubject, type SortItem } from '../search/sort.ts';
import { R } from '../replies.ts';
import type { Command, CommandSpec, ImapSession } from '../types.ts';
import { selected, rawArgs } from './args.ts';

async function candidates(s: ImapSession, cmd: Command, charsetAt: number): Promise<SortItem[] | null> {
  const sel = selected(s);
  const cs = astring(cmd.args[charsetAt], 'charset').toUpperCase();
  if (cs !== 'UTF-8' && cs !== 'US-ASCII') return null;
  const criteria = parseSearch(cmd.args.slice(charsetAt + 1));
  const maxSeq = sel.messages.length;
  const maxUid = maxSeq ? sel.messages[maxSeq - 1].uid : 0;
  const out: SortItem[] = [];
  const saved = new Set(sel.saved);
  for (let i = 0; i < sel.messages.length; i++) {
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

export const SORT: CommandSpec = {
  syntax: 'SORT (sort-criteria) charset search-key ...',
  states: ['selected'],
  args: [3, 200],
  uid: true,
  holdExpunge: true,
  parse: rawArgs,
  async run(s, _args, cmd) {
    const criteria = parseSortCriteria(list(cmd.args[0], 'sort criteria').map((t) => atom(t, 'sort key')));
    const items = await candidates(s, cmd, 1);
    if (!items) return R.badCharset();
    const ids = sortItems(items, criteria).map((it) => (cmd.uid ? it.msg.uid : it.seq));
    await s.send(`* SORT${ids.map((n) => ` ${n}`).join('')}\r\n`);
    return R.done(cmd.uid ? 'UID SORT' : 'SORT');
  },
};

export const THREAD: CommandSpec = {
  syntax: 'THREAD ORDEREDSUBJECT|REFERENCES charset search-key ...',
  states: ['selected'],
  args: [3, 200],
  uid: true,
  holdExpunge: true,
  parse: rawArgs,
  async run(s, _args, cmd) {
    const algorithm = atom(cmd.args[0], 'threading algorithm').toUpperCase();
    if (algorithm !== 'ORDEREDSUBJECT' && algorithm !== 'REFERENCES') throw new BadArgument('Unsupported threading algorithm');
    const items = await candidates(s, cmd, 1);
    if (!items) return R.badCharset();
    const threads = algorithm === 'REFERENCES' ? threadReferences(items, cmd.uid) : threadOrderedSubject(items, cmd.uid);
    await s.send(`* THREAD ${formatThreads(threads)}\r\n`.replace('* THREAD \r\n', '* THREAD\r\n'));
    return R.done(cmd.uid ? 'UID THREAD' : 'THREAD');
  },
};
