// LOGOUT                                  (RFC 3501 §6.1.3)
//   * BYE ... / tag OK, then the server closes the connection
import { R, tagged } from '../replies.ts';
import { command } from '../types.ts';
import { noArgs } from './args.ts';

export const LOGOUT = command({
  syntax: 'LOGOUT',
  states: ['notauth', 'auth', 'selected'],
  args: [0, 0],
  parse: noArgs,
  async run(s, _args, cmd) {
    await s.send(R.bye());
    await s.freeSlot();
    await s.send(tagged(cmd.tag, R.done('LOGOUT')));
    await s.end();
    return null;
  },
});
