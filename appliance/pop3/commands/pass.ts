// PASS string          (RFC 1939 §7; the whole rest of the line, spaces included)
//   +OK maildrop locked and ready | -ERR [AUTH] ... | -ERR [IN-USE] ...
import { authenticate } from '../../auth/login.ts';
import { guardedLogin } from '../login.ts';
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';

export const PASS: CommandSpec = {
  syntax: 'PASS string',
  states: ['AUTHORIZATION'],
  args: ['rest'],
  plaintextAuth: true,
  async run(s, [password]) {
    const login = s.pendingUser;
    s.pendingUser = null;
    if (login === null) return s.write(R.userFirst());
    await guardedLogin(s, 'USER', login, () => authenticate(s.env.stores, login, password));
  },
};
