// DELE msg             (RFC 1939 §5)
//   +OK message msg deleted. Only a mark: the store is changed at QUIT (UPDATE state).
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { messageArg } from './message-arg.ts';

export const DELE: CommandSpec = {
  syntax: 'DELE msg',
  states: ['TRANSACTION'],
  args: ['msg'],
  async run(s, [arg]) {
    const m = await messageArg(s, arg);
    if (!m) return;
    m.deleted = true;
    await s.write(R.deleted(m.number));
  },
};
