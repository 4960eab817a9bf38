// SUBSCRIBE mailbox                       (RFC 3501 §6.3.6)
// UNSUBSCRIBE mailbox                     (RFC 3501 §6.3.7)
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { findMailbox, mailboxArg, rawArgs } from './args.ts';

export const SUBSCRIBE: CommandSpec = {
  syntax: 'SUBSCRIBE mailbox',
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: rawArgs,
  async run(s, _args, cmd) {
    const name = mailboxArg(s, cmd.args[0]);
    if (!(await findMailbox(s, name))) return R.noMailbox();
    await s.env.stores.folders.subscribe(s.account!.id, name, true);
    return R.done('SUBSCRIBE');
  },
};

export const UNSUBSCRIBE: CommandSpec = {
  syntax: 'UNSUBSCRIBE mailbox',
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: rawArgs,
  async run(s, _args, cmd) {
    await s.env.stores.folders.subscribe(s.account!.id, mailboxArg(s, cmd.args[0]), false);
    return R.done('UNSUBSCRIBE');
  },
};
