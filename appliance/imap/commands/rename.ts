// RENAME existing-mailbox new-mailbox     (RFC 3501 §6.3.5)
//   OK | NO [NONEXISTENT] | NO [ALREADYEXISTS]; renaming INBOX moves its messages
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { DELIMITER, findMailbox, mailboxArg, validNewName, rawArgs } from './args.ts';
import { isSharedName } from '../mailbox/namespace.ts';

export const RENAME: CommandSpec = {
  syntax: 'RENAME existing-mailbox new-mailbox',
  states: ['auth', 'selected'],
  args: [2, 2],
  parse: rawArgs,
  async run(s, _args, cmd) {
    const from = mailboxArg(s, cmd.args[0]);
    const to = mailboxArg(s, cmd.args[1]).replace(/\/+$/, '');
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
};
