// RETR msg             (RFC 1939 §5)
//   +OK size octets, the message byte-stuffed, "."
import { dotStuff } from '../message-format.ts';
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { messageArg, readMessage } from './message-arg.ts';

export const RETR: CommandSpec = {
  syntax: 'RETR msg',
  states: ['TRANSACTION'],
  args: ['msg'],
  async run(s, [arg]) {
    const m = await messageArg(s, arg);
    if (!m) return;
    const content = await readMessage(s, m, Number(arg));
    if (!content) return;
    await s.write(Buffer.concat([Buffer.from(R.messageFollows(m.size)), dotStuff(content)]));
  },
};
