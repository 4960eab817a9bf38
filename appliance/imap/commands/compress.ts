// COMPRESS DEFLATE                        (RFC 4978)
//   tag OK, then both directions raw deflate | NO [COMPRESSIONACTIVE] | BAD (other mechanism)
import { BadArgument } from '../parser.ts';
import { R, tagged } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { rawArgs } from './args.ts';

export const COMPRESS: CommandSpec = {
  syntax: 'COMPRESS DEFLATE',
  // §3: after authentication (Node's TLS never compresses, so it is offered over TLS too)
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: rawArgs,
  async run(s, _args, cmd) {
    const mech = cmd.args[0];
    if (mech.t !== 'atom' || mech.v.toUpperCase() !== 'DEFLATE') throw new BadArgument('Unknown compression mechanism');
    if (s.compressed) return R.compressionActive();
    await s.startCompression(tagged(cmd.tag, R.compressOk()));
    return null;
  },
};
