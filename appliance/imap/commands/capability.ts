// CAPABILITY                              (RFC 3501 §6.1.1)
//   * CAPABILITY IMAP4rev1 ...  / OK
import { capabilities, R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { rawArgs } from './args.ts';

export const CAPABILITY: CommandSpec = {
  syntax: 'CAPABILITY',
  states: ['notauth', 'auth', 'selected'],
  args: [0, 0],
  parse: rawArgs,
  async run(s) {
    await s.send(`* CAPABILITY ${capabilities(s).join(' ')}\r\n`);
    return R.done('CAPABILITY');
  },
};
