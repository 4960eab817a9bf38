// TOP msg n            (RFC 1939 §7)
//   +OK, the header, the blank line and the first n lines of the body, byte-stuffed, "."
import { DotStuffer, TopCutter } from '../message-format.ts';
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { messageArg, openMessage } from './message-arg.ts';

export const TOP: CommandSpec = {
  syntax: 'TOP msg n',
  states: ['TRANSACTION'],
  args: ['msg', 'count'],
  async run(s, [arg, lines]) {
    const m = await messageArg(s, arg);
    if (!m) return;
    const content = await openMessage(s, m, Number(arg));
    if (!content) return;
    // streamed as RETR is; reading stops where the answer ends
    const cut = new TopCutter(Number(lines));
    const stuff = new DotStuffer();
    let head: Buffer | null = Buffer.from(R.topFollows());
    for await (const chunk of content.stream()) {
      if (s.closed) return;
      const { out, done } = cut.push(chunk as Buffer);
      const piece = stuff.push(out);
      await s.write(head ? Buffer.concat([head, piece]) : piece);
      head = null;
      if (done) break;
    }
    await s.write(head ? Buffer.concat([head, stuff.end()]) : stuff.end());
  },
};
