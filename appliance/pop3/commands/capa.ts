// CAPA                 (RFC 2449 §5)
//   +OK, one capability a line, "."
//   USER and SASL PLAIN are listed only where they may be used (as Dovecot does with
//   disable_plaintext_auth); STLS only before TLS and before login.
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { SASL_MECHANISMS } from './auth.ts';

export const CAPA: CommandSpec = {
  syntax: 'CAPA',
  states: ['AUTHORIZATION', 'TRANSACTION'],
  args: [],
  async run(s) {
    const caps = ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'];
    if (s.plaintextAuthAllowed()) caps.push('USER', `SASL ${SASL_MECHANISMS.join(' ')}`);
    if (!s.conn.secure && s.state === 'AUTHORIZATION') caps.push('STLS');
    caps.push('IMPLEMENTATION mailserver');
    await s.write(R.capabilities(caps));
  },
};
