// GETQUOTAROOT mailbox                    (RFC 9208 §4.3.2)
//   * QUOTAROOT mailbox "" / * QUOTA "" (STORAGE used limit) (in KiB), when the account has a limit
// GETQUOTA root                           (RFC 9208 §4.3.1)
// SETQUOTA root (resource limit ...)      (RFC 9208 §4.3.3): limits are set by the operator; NO
import { astring } from '../parser.ts';
import { no, R } from '../replies.ts';
import type { CommandSpec, ImapSession } from '../types.ts';

import { findMailbox, mailboxArg, wireName, rawArgs } from './args.ts';

async function quotaLine(s: ImapSession): Promise<string> {
  const used = await s.env.stores.mail.usage(s.account!.id);
  return `* QUOTA "" (STORAGE ${Math.ceil(used / 1024)} ${Math.floor(s.account!.quota / 1024)})\r\n`;
}

export const GETQUOTAROOT: CommandSpec = {
  syntax: 'GETQUOTAROOT mailbox',
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: rawArgs,
  async run(s, _args, cmd) {
    const name = mailboxArg(s, cmd.args[0]);
    if (!(await findMailbox(s, name))) return R.noMailbox();
    const limited = s.account!.quota > 0;
    const head = Buffer.concat([Buffer.from('* QUOTAROOT '), wireName(s, name), Buffer.from(limited ? ' ""\r\n' : '\r\n')]);
    await s.send(limited ? Buffer.concat([head, Buffer.from(await quotaLine(s))]) : head);
    return R.done('GETQUOTAROOT');
  },
};

export const GETQUOTA: CommandSpec = {
  syntax: 'GETQUOTA quota-root',
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: rawArgs,
  async run(s, _args, cmd) {
    if (astring(cmd.args[0], 'quota root') !== '' || s.account!.quota <= 0) return R.noQuotaRoot();
    await s.send(await quotaLine(s));
    return R.done('GETQUOTA');
  },
};

export const SETQUOTA: CommandSpec = {
  syntax: 'SETQUOTA quota-root (resource limit ...)',
  states: ['auth', 'selected'],
  args: [2, 2],
  parse: rawArgs,
  async run() {
    return no('Quotas are set by the administrator', 'NOPERM');
  },
};
