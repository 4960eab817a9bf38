// SUBSCRIBE mailbox                       (RFC 3501 §6.3.6)
// UNSUBSCRIBE mailbox                     (RFC 3501 §6.3.7)
import { R } from '../replies.ts';
import { command } from '../types.ts';
import { findMailbox, parseMailbox } from './args.ts';

export const SUBSCRIBE = command({
  syntax: 'SUBSCRIBE mailbox',
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: parseMailbox,
  async run(s, { name }) {
    if (!(await findMailbox(s, name))) return R.noMailbox();
    await s.env.stores.folders.subscribe(s.account!.id, name, true);
    return R.done('SUBSCRIBE');
  },
});

export const UNSUBSCRIBE = command({
  syntax: 'UNSUBSCRIBE mailbox',
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: parseMailbox,
  async run(s, { name }) {
    await s.env.stores.folders.subscribe(s.account!.id, name, false);
    return R.done('UNSUBSCRIBE');
  },
});
