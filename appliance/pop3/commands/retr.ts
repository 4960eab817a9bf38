// RETR msg             (RFC 1939 §5)
//   +OK size octets, the message byte-stuffed, "."
import { DotStuffer } from '../message-format.ts';
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { messageArg, openMessage } from './message-arg.ts';

export const RETR: CommandSpec = {
  syntax: 'RETR msg',
  states: ['TRANSACTION'],
  args: ['msg'],
  async run(s, [arg]) {
    const m = await messageArg(s, arg);
    if (!m) return;
    const content = await openMessage(s, m, Number(arg));
    if (!content) return;
    // streamed from the store, each piece written when the last one was taken (back-pressure)
    const stuff = new DotStuffer();
    let head: Buffer | null = Buffer.from(R.messageFollows(m.size));
    for await (const chunk of content.stream()) {
      if (s.closed) return;
      const out = stuff.push(chunk as Buffer);
      await s.write(head ? Buffer.concat([head, out]) : out);
      head = null;
    }
    await s.write(head ? Buffer.concat([head, stuff.end()]) : stuff.end());
  },
};
