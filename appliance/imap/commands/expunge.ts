// EXPUNGE                                 (RFC 3501 §6.4.3)
// UID EXPUNGE sequence-set                (RFC 4315 §2.1: only \Deleted messages in the set)
//   * n EXPUNGE ... / OK | NO [READ-ONLY]
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { selected, messageSet } from './args.ts';
import { inSet } from '../mailbox/sequence.ts';

export const EXPUNGE: CommandSpec = {
  syntax: 'EXPUNGE | UID EXPUNGE sequence-set',
  states: ['selected'],
  args: [0, 1],
  uid: true,
  async run(s, cmd) {
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
    return R.done('EXPUNGE');
  },
};
