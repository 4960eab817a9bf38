// STATUS mailbox (item ...)               (RFC 3501 §6.3.10, RFC 7162 HIGHESTMODSEQ, RFC 8438 SIZE,
//                                          RFC 9051 §6.3.11 DELETED)
//   * STATUS name (MESSAGES n UIDNEXT n ...) / OK | NO [NONEXISTENT]
import { BadArgument, list, type Token } from '../parser.ts';
import { statusValues, STATUS_ITEMS } from '../mailbox/status.ts';
import { R } from '../replies.ts';
import { command, type ParseContext } from '../types.ts';
import { U } from '../untagged.ts';
import { findMailbox, mailboxName, wireName } from './args.ts';

/** The `(item ...)` list of STATUS and of LIST's RETURN (STATUS (...)). */
export function statusItems(tok: Token | undefined): string[] {
  const items = list(tok, 'status items').map((t) => (t.t === 'atom' ? t.v.toUpperCase() : ''));
  if (!items.length || items.some((i) => !STATUS_ITEMS.has(i))) throw new BadArgument('Invalid status item');
  return items;
}

export interface StatusArgs {
  name: string;
  items: string[];
}

export const parseStatus = (args: Token[], ctx: ParseContext): StatusArgs => ({ name: mailboxName(args[0], ctx), items: statusItems(args[1]) });

export const STATUS = command({
  syntax: 'STATUS mailbox (status-att ...)',
  states: ['auth', 'selected'],
  args: [2, 2],
  parse: parseStatus,
  async run(s, { name, items }) {
    // RFC 7162 §3.1: STATUS with HIGHESTMODSEQ is a CONDSTORE-enabling command; with a mailbox
    // selected, dispatch then announces its HIGHESTMODSEQ and later FETCHes carry MODSEQ
    if (items.includes('HIGHESTMODSEQ')) s.enabled.add('CONDSTORE');
    const box = await findMailbox(s, name);
    if (!box) return R.noMailbox();
    await s.send(U.status(wireName(s, name), await statusValues(s.env.stores, box, items)));
    return R.done('STATUS');
  },
});
