// SEARCH [RETURN (MIN MAX COUNT ALL)] [CHARSET charset] key ...   (RFC 3501 §6.4.4, RFC 4731 ESEARCH)
//   * SEARCH n ... [(MODSEQ m)] | * ESEARCH (TAG "t") [UID] MIN n MAX n COUNT n ALL set / OK
import { astring, BadArgument } from '../parser.ts';
import { cachedMime } from '../mailbox/mime.ts';
import { matches, needsContent, parseSearch, type Criterion } from '../mailbox/search.ts';
import { compactSet } from '../mailbox/sequence.ts';
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { selected } from './args.ts';

const usesModseq = (c: Criterion): boolean =>
  c.k === 'modseq' || (c.k === 'not' && usesModseq(c.c)) || (c.k === 'or' && (usesModseq(c.a) || usesModseq(c.b))) || (c.k === 'and' && c.cs.some(usesModseq));

export const SEARCH: CommandSpec = {
  syntax: 'SEARCH [RETURN (options)] [CHARSET charset] search-key ...',
  states: ['selected'],
  args: [1, 200],
  uid: true,
  holdExpunge: true,
  async run(s, cmd) {
    const sel = selected(s);
    let args = cmd.args;
    let ret: string[] | null = null;
    if (args[0]?.t === 'atom' && args[0].v.toUpperCase() === 'RETURN') {
      const opts = args[1];
      if (opts?.t !== 'list') throw new BadArgument('Expected RETURN (options)');
      ret = opts.v.map((t) => (t.t === 'atom' ? t.v.toUpperCase() : ''));
      if (ret.some((o) => !['MIN', 'MAX', 'COUNT', 'ALL'].includes(o))) throw new BadArgument('Unknown RETURN option');
      if (!ret.length) ret = ['ALL'];
      args = args.slice(2);
    }
    if (args[0]?.t === 'atom' && args[0].v.toUpperCase() === 'CHARSET') {
      const cs = astring(args[1], 'charset').toUpperCase();
      if (cs !== 'UTF-8' && cs !== 'US-ASCII') return R.badCharset();
      args = args.slice(2);
    }
    const criteria = parseSearch(args);
    const content = needsContent(criteria);
    const maxSeq = sel.messages.length;
    const maxUid = maxSeq ? sel.messages[maxSeq - 1].uid : 0;
    const hits: number[] = [];
    let topModseq = 0;
    const list = sel.messages.slice();
    for (let i = 0; i < list.length; i++) {
      const msg = list[i];
      if (sel.isExpunged(msg.uid)) continue;
      let loaded = null;
      if (content) {
        const buf = await s.env.stores.mail.read(msg.blobId);
        loaded = { buf, root: cachedMime(msg.blobId, buf) };
      }
      if (matches(criteria, { seq: i + 1, msg, recent: sel.isRecent(msg), maxSeq, maxUid, content: loaded })) {
        hits.push(cmd.uid ? msg.uid : i + 1);
        topModseq = Math.max(topModseq, msg.modseq);
      }
    }
    if (ret) {
      const parts = [`* ESEARCH (TAG "${cmd.tag}")${cmd.uid ? ' UID' : ''}`];
      if (hits.length && ret.includes('MIN')) parts.push(`MIN ${hits[0]}`);
      if (hits.length && ret.includes('MAX')) parts.push(`MAX ${hits[hits.length - 1]}`);
      if (ret.includes('COUNT')) parts.push(`COUNT ${hits.length}`);
      if (hits.length && ret.includes('ALL')) parts.push(`ALL ${compactSet(hits)}`);
      await s.send(parts.join(' ') + '\r\n');
    } else {
      const mod = usesModseq(criteria) && hits.length ? ` (MODSEQ ${topModseq})` : '';
      await s.send(`* SEARCH${hits.map((n) => ` ${n}`).join('')}${mod}\r\n`);
    }
    return R.done(cmd.uid ? 'UID SEARCH' : 'SEARCH');
  },
};
