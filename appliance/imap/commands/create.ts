// CREATE mailbox                          (RFC 3501 §6.3.3)
//   OK [MAILBOXID (id)] (RFC 8474 §4.1) | NO [ALREADYEXISTS] | NO [CANNOT]; missing parents are created too
import type { Token } from '../parser.ts';
import { R } from '../replies.ts';
import { command, type ParseContext } from '../types.ts';
import { DELIMITER, mailboxName, validNewName, type MailboxArgs } from './args.ts';
import { isSharedName } from '../mailbox/namespace.ts';

/** §6.3.3: a trailing delimiter only says the client means to create names under it; it is dropped. */
export const parseCreate = (args: Token[], ctx: ParseContext): MailboxArgs => ({ name: mailboxName(args[0], ctx).replace(/\/+$/, '') });

export const CREATE = command({
  syntax: 'CREATE mailbox',
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: parseCreate,
  async run(s, { name }) {
    if (name === 'INBOX') return R.mailboxExists();
    if (isSharedName(name)) return R.noPermission();
    if (!validNewName(name)) return R.badMailboxName();
    const levels = name.split(DELIMITER);
    for (let i = 1; i < levels.length; i++) await s.env.stores.folders.create(s.account!.id, levels.slice(0, i).join(DELIMITER));
    if (!(await s.env.stores.folders.create(s.account!.id, name))) return R.mailboxExists();
    const box = await s.env.stores.mail.mailbox(s.account!.id, name);
    return box ? R.created(box.objectId) : R.done('CREATE');
  },
});
