// STAT                 (RFC 1939 §5)
//   +OK nn mm   (messages not marked as deleted, their size in octets)
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';

export const STAT: CommandSpec = {
  syntax: 'STAT',
  states: ['TRANSACTION'],
  args: [],
  async run(s) {
    const { count, octets } = s.drop().stat();
    await s.write(R.stat(count, octets));
  },
};
