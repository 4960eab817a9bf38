// CAPABILITY                              (RFC 3501 §6.1.1)
//   * CAPABILITY IMAP4rev1 ...  / OK
import { capabilities, R } from '../replies.ts';
import { command } from '../types.ts';
import { U } from '../untagged.ts';
import { noArgs } from './args.ts';

export const CAPABILITY = command({
  syntax: 'CAPABILITY',
  states: ['notauth', 'auth', 'selected'],
  args: [0, 0],
  parse: noArgs,
  async run(s) {
    await s.send(U.capability(capabilities(s)));
    return R.done('CAPABILITY');
  },
});
