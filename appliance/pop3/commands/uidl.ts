// UIDL [msg]           (RFC 1939 §7)
//   UIDL      -> +OK, then "msg unique-id" per live message, "."
//   UIDL msg  -> +OK msg unique-id       (unique-id: uidvalidity.uid, 0x21-0x7E, <= 70 chars)
import { R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { messageArg } from './message-arg.ts';

export const UIDL: CommandSpec = {
  syntax: 'UIDL [msg]',
  states: ['TRANSACTION'],
  args: ['msg'],
  optional: 1,
  async run(s, [arg]) {
    const drop = s.drop();
    if (arg === undefined) return s.write(R.uidlAll(drop.live().map((m) => `${m.number} ${drop.uid(m)}`)));
    const m = await messageArg(s, arg);
    if (m) await s.write(R.uidLine(m.number, drop.uid(m)));
  },
};
