// STATUS mailbox (item ...)               (RFC 3501 §6.3.10, RFC 7162 HIGHESTMODSEQ, RFC 8438 SIZE)
//   * STATUS name (MESSAGES n UIDNEXT n ...) / OK | NO [NONEXISTENT]
import { BadArgument, list } from '../parser.ts';
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { encodeMailboxName, nstring } from '../wire.ts';
import { findMailbox, mailboxArg } from './args.ts';

const ITEMS = new Set(['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ', 'SIZE']);

export const STATUS: CommandSpec = {
  syntax: 'STATUS mailbox (status-att ...)',
  states: ['auth', 'selected'],
  args: [2, 2],
  async run(s, cmd) {
    const name = mailboxArg(cmd.args[0]);
    const items = list(cmd.args[1], 'status items').map((t) => (t.t === 'atom' ? t.v.toUpperCase() : ''));
    if (!items.length || items.some((i) => !ITEMS.has(i))) throw new BadArgument('Invalid status item');
    const box = await findMailbox(s, name);
    if (!box) return R.noMailbox();
    const counts = await s.env.stores.folders.counts(box.id);
    const value: Record<string, number> = {
      MESSAGES: counts.messages, RECENT: counts.recent, UIDNEXT: box.uidNext, UIDVALIDITY: box.uidValidity,
      UNSEEN: counts.unseen, HIGHESTMODSEQ: box.highestModseq, SIZE: counts.size,
    };
    const body = items.map((i) => `${i} ${value[i]}`).join(' ');
    await s.send(Buffer.concat([Buffer.from('* STATUS '), Buffer.from(nstring(encodeMailboxName(name))), Buffer.from(` (${body})\r\n`)]));
    return R.done('STATUS');
  },
};
