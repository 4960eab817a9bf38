// DELETE mailbox                          (RFC 3501 §6.3.4)
//   OK | NO [NONEXISTENT] | NO [CANNOT] for INBOX
import { R } from '../replies.ts';
import { command } from '../types.ts';
import { findMailbox, parseMailbox } from './args.ts';
import { isSharedName } from '../mailbox/namespace.ts';

export const DELETE = command({
  syntax: 'DELETE mailbox',
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: parseMailbox,
  async run(s, { name }) {
    if (name === 'INBOX') return R.cannotDeleteInbox();
    if (isSharedName(name)) return R.noPermission();
    const box = await findMailbox(s, name);
    if (!box) return R.noMailbox();
    if (s.selected?.info.id === box.id) s.select(null);
    await s.env.stores.folders.delete(s.account!.id, name);
    return R.done('DELETE');
  },
});
