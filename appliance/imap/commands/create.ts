// CREATE mailbox                          (RFC 3501 §6.3.3)
//   OK [MAILBOXID (id)] (RFC 8474 §4.1) | NO [ALREADYEXISTS] | NO [CANNOT]; missing parents are created too
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { DELIMITER, mailboxArg, validNewName, rawArgs } from './args.ts';
import { isSharedName } from '../mailbox/namespace.ts';

export const CREATE: CommandSpec = {
  syntax: 'CREATE mailbox',
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: rawArgs,
  async run(s, _args, cmd) {
    const name = mailboxArg(s, cmd.args[0]).replace(/\/+$/, '');
    if (name === 'INBOX') return R.mailboxExists();
    if (isSharedName(name)) return R.noPermission();
    if (!validNewName(name)) return R.badMailboxName();
    const levels = name.split(DELIMITER);
    for (let i = 1; i < levels.length; i++) await s.env.stores.folders.create(s.account!.id, levels.slice(0, i).join(DELIMITER));
    if (!(await s.env.stores.folders.create(s.account!.id, name))) return R.mailboxExists();
    const box = await s.env.stores.mail.mailbox(s.account!.id, name);
    return box ? R.created(box.objectId) : R.done('CREATE');
  },
};
