// NOOP                                    (RFC 3501 §6.1.2)
//   pending EXISTS/EXPUNGE/FETCH of the selected mailbox, then OK
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { noArgs } from './args.ts';

export const NOOP: CommandSpec = {
  syntax: 'NOOP',
  states: ['notauth', 'auth', 'selected'],
  args: [0, 0],
  // the refresh before the command is the poll
  readsView: true,
  parse: noArgs,
  async run() {
    return R.done('NOOP');
  },
};

// CHECK                                   (RFC 3501 §6.4.1): every change is already committed
export const CHECK: CommandSpec = {
  syntax: 'CHECK',
  states: ['selected'],
  args: [0, 0],
  readsView: true,
  parse: noArgs,
  async run() {
    return R.done('CHECK');
  },
};
