// STARTTLS                                (RFC 3501 §6.2.1)
//   tag OK, then the TLS handshake; input pipelined after STARTTLS is discarded, never run
import { R, tagged } from '../replies.ts';
import { command } from '../types.ts';
import { noArgs } from './args.ts';

export const STARTTLS = command({
  syntax: 'STARTTLS',
  states: ['notauth'],
  args: [0, 0],
  insecureOnly: true,
  parse: noArgs,
  async run(s, _args, cmd) {
    await s.send(tagged(cmd.tag, R.startTls()));
    await s.startTls();
    return null;
  },
});
