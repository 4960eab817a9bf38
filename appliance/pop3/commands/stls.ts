// STLS                 (RFC 2595 §4)
//   +OK, then the TLS handshake on the same connection. Anything the client sent after STLS
//   and before the handshake is discarded, never executed (the STARTTLS injection class of bugs).
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';

export const STLS: CommandSpec = {
  syntax: 'STLS',
  states: ['AUTHORIZATION'],
  args: [],
  insecureOnly: true,
  async run(s) {
    s.pendingUser = null;
    await s.startTls(R.stlsBegin());
  },
};
