// LIST [msg]           (RFC 1939 §5)
//   LIST      -> +OK n messages (m octets), then "msg size" per live message, "."
//   LIST msg  -> +OK msg size
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { messageArg } from './message-arg.ts';

export const LIST: CommandSpec = {
  syntax: 'LIST [msg]',
  states: ['TRANSACTION'],
  args: ['msg'],
  optional: 1,
  async run(s, [arg]) {
    const drop = s.drop();
    if (arg === undefined) {
      const { count, octets } = drop.stat();
      return s.write(R.listAll(count, octets, drop.live().map((m) => `${m.number} ${m.size}`)));
    }
    const m = await messageArg(s, arg);
    if (m) await s.write(R.scanLine(m.number, m.size));
  },
};
