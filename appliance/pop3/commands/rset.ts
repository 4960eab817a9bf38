// RSET                 (RFC 1939 §5)
//   +OK; every message marked as deleted is unmarked.
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';

export const RSET: CommandSpec = {
  syntax: 'RSET',
  states: ['TRANSACTION'],
  args: [],
  async run(s) {
    const drop = s.drop();
    drop.reset();
    const { count, octets } = drop.stat();
    await s.write(R.reset(count, octets));
  },
};
