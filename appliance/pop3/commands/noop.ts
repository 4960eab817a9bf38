// NOOP                 (RFC 1939 §5)
//   +OK
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';

export const NOOP: CommandSpec = {
  syntax: 'NOOP',
  states: ['TRANSACTION'],
  args: [],
  async run(s) {
    await s.write(R.noop());
  },
};
