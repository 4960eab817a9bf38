// EXPUNGE                                 (RFC 3501 §6.4.3)
// UID EXPUNGE sequence-set                (RFC 4315 §2.1: only \Deleted messages in the set)
//   * n EXPUNGE ... / OK | NO [READ-ONLY]
import { ok, R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { selected, messageSet, rawArgs } from './args.ts';
import { inSet } from '../mailbox/sequence.ts';

export const EXPUNGE: CommandSpec = {
  syntax: 'EXPUNGE | UID EXPUNGE sequence-set',
  states: ['selected'],
  args: [0, 1],
  uid: true,
  parse: rawArgs,
  async run(s, _args, cmd) {
    const sel = selected(s);
    if (sel.readOnly) return R.readOnly();
    if (cmd.uid !== (cmd.args.length === 1)) return R.syntax('EXPUNGE | UID EXPUNGE sequence-set');
    const set = cmd.uid ? messageSet(s, cmd.args[0], true).ranges : null;
    await sel.refresh();
    const maxUid = sel.messages.length ? sel.messages[sel.messages.length - 1].uid : 0;
    const uids = sel.messages
      .filter((m) => m.flags.includes('\\Deleted') && !sel.isExpunged(m.uid) && (!set || inSet(set, m.uid, maxUid)))
      .map((m) => m.uid);
    if (uids.length) sel.markExpunged(await s.env.stores.mail.expunge(sel.info.id, uids));
    if (s.enabled.has('CONDSTORE')) {
      // RFC 7162 §3.2.10 (and Dovecot for CONDSTORE too): the tagged OK carries the mailbox's
      // HIGHESTMODSEQ after the expunge; every change up to it is announced before the tag
      const box = await s.env.stores.folders.byId(sel.info.id);
      if (box) return ok('Expunge completed', `HIGHESTMODSEQ ${box.highestModseq}`);
    }
    return R.done('EXPUNGE');
  },
};
