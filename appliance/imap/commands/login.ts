// LOGIN userid password                   (RFC 3501 §6.2.3)
//   OK [CAPABILITY ...] | NO [AUTHENTICATIONFAILED] | NO [PRIVACYREQUIRED] without TLS
import { authenticateCached } from '../auth-cache.ts';
import { guardedLogin } from '../login.ts';
import { astring, type Token } from '../parser.ts';
import { R } from '../replies.ts';
import { command } from '../types.ts';

export interface LoginArgs {
  login: string;
  password: string;
}

export const parseLogin = (args: Token[]): LoginArgs => ({ login: astring(args[0], 'user name'), password: astring(args[1], 'password') });

export const LOGIN = command({
  syntax: 'LOGIN userid password',
  states: ['notauth'],
  args: [2, 2],
  parse: parseLogin,
  async run(s, { login, password }) {
    // the session knows whether the connection is secure: a check for run, not parse
    if (!s.plaintextAuthAllowed()) return R.loginDisabled();
    return guardedLogin(s, 'LOGIN', login, () => authenticateCached(s.env.stores, login, password));
  },
});
