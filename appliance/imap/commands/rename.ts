// RENAME existing-mailbox new-mailbox     (RFC 3501 §6.3.5)
//   OK | NO [NONEXISTENT] | NO [ALREADYEXISTS]; renaming INBOX moves its messages
import type { Token } from '../parser.ts';
import { R } from '../replies.ts';
import { command, type ParseContext } from '../types.ts';
import { DELIMITER, findMailbox, mailboxName, validNewName } from './args.ts';
import { isSharedName } from '../mailbox/namespace.ts';

export interface RenameArgs {
  from: string;
  /** Without a trailing delimiter (as CREATE's name). */
  to: string;
}

export const parseRename = (args: Token[], ctx: ParseContext): RenameArgs => ({
  from: mailboxName(args[0], ctx),
  to: mailboxName(args[1], ctx).replace(/\/+$/, ''),
});

export const RENAME = command({
  syntax: 'RENAME existing-mailbox new-mailbox',
  states: ['auth', 'selected'],
  args: [2, 2],
  parse: parseRename,
  async run(s, { from, to }) {
    if (isSharedName(from) || isSharedName(to)) return R.noPermission();
    if (!validNewName(to) || to === 'INBOX') return R.badMailboxName();
    const box = await findMailbox(s, from);
    if (!box) return R.noMailbox();
    if (await findMailbox(s, to)) return R.mailboxExists();
    if (to.startsWith(from + DELIMITER)) return R.badMailboxName();
    const levels = to.split(DELIMITER);
    for (let i = 1; i < levels.length; i++) await s.env.stores.folders.create(s.account!.id, levels.slice(0, i).join(DELIMITER));
    if (s.selected?.info.id === box.id && from !== 'INBOX') s.select(null);
    await s.env.stores.folders.rename(s.account!.id, from, to);
    return R.done('RENAME');
  },
});
