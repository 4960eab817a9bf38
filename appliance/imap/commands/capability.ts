// CAPABILITY                              (RFC 3501 §6.1.1)
//   * CAPABILITY IMAP4rev1 ...  / OK
import { capabilities, R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';

export const CAPABILITY: CommandSpec = {
  syntax: 'CAPABILITY',
  states: ['notauth', 'auth', 'selected'],
  args: [0, 0],
  async run(s) {
    await s.send(`* CAPABILITY ${capabilities(s).join(' ')}\r\n`);
    return R.done('CAPABILITY');
  },
};
