// EXPUNGE                                 (RFC 3501 §6.4.3)
// UID EXPUNGE sequence-set                (RFC 4315 §2.1: only \Deleted messages in the set)
//   * n EXPUNGE ... / OK | NO [READ-ONLY]
import { BadArgument, type Token } from '../parser.ts';
import { ok, R } from '../replies.ts';
import { command, type ParseContext } from '../types.ts';
import { messageSetArg, selected, setRanges, type MessageSet } from './args.ts';
import { inSet } from '../mailbox/sequence.ts';

const SYNTAX = 'EXPUNGE | UID EXPUNGE sequence-set';

export interface ExpungeArgs {
  /** UID EXPUNGE's set (RFC 4315 §2.1); null for EXPUNGE, every \Deleted message. */
  set: MessageSet | null;
}

export function parseExpunge(args: Token[], ctx: ParseContext): ExpungeArgs {
  // the set comes with the UID form and only with it
  if (ctx.uid !== (args.length === 1)) throw new BadArgument(`Syntax: ${SYNTAX}`);
  return { set: ctx.uid ? messageSetArg(args[0], ctx) : null };
}

export const EXPUNGE = command({
  syntax: SYNTAX,
  states: ['selected'],
  args: [0, 1],
  uid: true,
  // its own expunge is applied to the view in place (below)
  readsView: true,
  parse: parseExpunge,
  async run(s, a) {
    const sel = selected(s);
    if (sel.readOnly) return R.readOnly();
    const set = a.set ? setRanges(sel, a.set).ranges : null;
    // the view is current: the dispatcher refreshed it just before this command
    const maxUid = sel.messages.length ? sel.messages[sel.messages.length - 1].uid : 0;
    const uids = sel.messages
      .filter((m) => m.flags.includes('\\Deleted') && !sel.isExpunged(m.uid) && (!set || inSet(set, m.uid, maxUid)))
      .map((m) => m.uid);
    if (uids.length) {
      const { removed, modseq } = await s.env.stores.mail.expunge(sel.info.id, uids);
      // another change came in between: the view reads it (and the expunge) now, so that what
      // the tag reports below has all been announced before it
      if (!sel.applyOwnExpunge(removed, modseq)) await s.refreshSelected();
    }
    // RFC 7162 §3.2.10 (and Dovecot for CONDSTORE too): the tagged OK carries the mailbox's
    // HIGHESTMODSEQ after the expunge; every change up to it is announced before the tag
    if (s.enabled.has('CONDSTORE')) return ok('Expunge completed', `HIGHESTMODSEQ ${sel.info.highestModseq}`);
    return R.done('EXPUNGE');
  },
});
