// LOGIN userid password                   (RFC 3501 §6.2.3)
//   OK [CAPABILITY ...] | NO [AUTHENTICATIONFAILED] | NO [PRIVACYREQUIRED] without TLS
import { authenticateCached } from '../auth-cache.ts';
import { guardedLogin } from '../login.ts';
import { astring } from '../parser.ts';
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { rawArgs } from './args.ts';

export const LOGIN: CommandSpec = {
  syntax: 'LOGIN userid password',
  states: ['notauth'],
  args: [2, 2],
  parse: rawArgs,
  async run(s, _args, cmd) {
    if (!s.plaintextAuthAllowed()) return R.loginDisabled();
    const login = astring(cmd.args[0], 'user name');
    const password = astring(cmd.args[1], 'password');
    return guardedLogin(s, 'LOGIN', login, () => authenticateCached(s.env.stores, login, password));
  },
};
