// COMPRESS DEFLATE                        (RFC 4978)
//   tag OK, then both directions raw deflate | NO [COMPRESSIONACTIVE] | BAD (other mechanism)
import { BadArgument, type Token } from '../parser.ts';
import { R, tagged } from '../replies.ts';
import { command } from '../types.ts';

export interface CompressArgs {
  /** The one mechanism RFC 4978 defines. */
  mechanism: 'DEFLATE';
}

export function parseCompress(args: Token[]): CompressArgs {
  const mech = args[0];
  if (mech?.t !== 'atom' || mech.v.toUpperCase() !== 'DEFLATE') throw new BadArgument('Unknown compression mechanism');
  return { mechanism: 'DEFLATE' };
}

export const COMPRESS = command({
  syntax: 'COMPRESS DEFLATE',
  // §3: after authentication (Node's TLS never compresses, so it is offered over TLS too)
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: parseCompress,
  async run(s, _args, cmd) {
    if (s.compressed) return R.compressionActive();
    await s.startCompression(tagged(cmd.tag, R.compressOk()));
    return null;
  },
});
