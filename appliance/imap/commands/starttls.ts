// STARTTLS                                (RFC 3501 §6.2.1)
//   tag OK, then the TLS handshake; input pipelined after STARTTLS is discarded, never run
import { R, tagged } from '../replies.ts';
import type { CommandSpec } from '../types.ts';

export const STARTTLS: CommandSpec = {
  syntax: 'STARTTLS',
  states: ['notauth'],
  args: [0, 0],
  insecureOnly: true,
  async run(s, cmd) {
    await s.send(tagged(cmd.tag, R.startTls()));
    await s.startTls();
    return null;
  },
};
