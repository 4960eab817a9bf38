// AUTHENTICATE mechanism [initial-response]   (RFC 3501 §6.2.2, RFC 4959 SASL-IR, RFC 4616 PLAIN)
//   "+ " continuation, base64 response ("*" cancels), then OK [CAPABILITY ...] | NO | BAD
import { authenticateCached } from '../auth-cache.ts';
import { completeLogin } from '../login.ts';
import { atom } from '../parser.ts';
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';

export const AUTHENTICATE: CommandSpec = {
  syntax: 'AUTHENTICATE mechanism [initial-response]',
  states: ['notauth'],
  args: [1, 2],
  async run(s, cmd) {
    const mech = atom(cmd.args[0], 'mechanism').toUpperCase();
    if (mech !== 'PLAIN') return R.saslUnsupported();
    if (!s.plaintextAuthAllowed()) return R.loginDisabled();
    let response: string;
    if (cmd.args[1]) {
      response = atom(cmd.args[1], 'initial response');
    } else {
      await s.send('+ \r\n');
      const line = await s.readLine();
      if (line === null) return null;
      response = line.toString('latin1').trim();
    }
    if (response === '*') return R.saslCancelled();
    // SASL-IR: "=" is an empty initial response
    const decoded = response === '=' ? '' : Buffer.from(response, 'base64').toString('utf8');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(response) && response !== '=') return R.saslMalformed();
    const parts = decoded.split('\0');
    if (parts.length !== 3) return R.saslMalformed();
    const [authz, login, password] = parts;
    if (authz && authz.toLowerCase() !== login.toLowerCase()) return completeLogin(s, 'PLAIN', login, null);
    return completeLogin(s, 'PLAIN', login, await authenticateCached(s.env.stores, login, password));
  },
};
