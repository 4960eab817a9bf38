// STARTTLS                                (RFC 3501 §6.2.1)
//   tag OK, then the TLS handshake; input pipelined after STARTTLS is discarded, never run
import { R, tagged } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { rawArgs } from './args.ts';

export const STARTTLS: CommandSpec = {
  syntax: 'STARTTLS',
  states: ['notauth'],
  args: [0, 0],
  insecureOnly: true,
  parse: rawArgs,
  async run(s, _args, cmd) {
    await s.send(tagged(cmd.tag, R.startTls()));
    await s.startTls();
    return null;
  },
};
