// USER name            (RFC 1939 §7)
//   +OK  -> send PASS; the name is not checked here, so the reply never reveals an account.
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';

export const USER: CommandSpec = {
  syntax: 'USER name',
  states: ['AUTHORIZATION'],
  args: ['word'],
  plaintextAuth: true,
  async run(s, [name]) {
    s.pendingUser = name;
    await s.write(R.userAccepted());
  },
};
