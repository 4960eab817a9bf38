// TOP msg n            (RFC 1939 §7)
//   +OK, the header, the blank line and the first n lines of the body, byte-stuffed, "."
import { dotStuff, topOf } from '../message-format.ts';
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { messageArg, readMessage } from './message-arg.ts';

export const TOP: CommandSpec = {
  syntax: 'TOP msg n',
  states: ['TRANSACTION'],
  args: ['msg', 'count'],
  async run(s, [arg, lines]) {
    const m = await messageArg(s, arg);
    if (!m) return;
    const content = await readMessage(s, m, Number(arg));
    if (!content) return;
    await s.write(Buffer.concat([Buffer.from(R.topFollows()), dotStuff(topOf(content, Number(lines)))]));
  },
};
