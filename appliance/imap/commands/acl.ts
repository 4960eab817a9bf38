// MYRIGHTS mailbox                        (RFC 4314 §3.5)
//   * MYRIGHTS mailbox rights
// GETACL mailbox                          (RFC 4314 §3.3; needs the "a" right: owners only)
//   * ACL mailbox owner@domain lrswipkxtea [anyone rights]   ("anyone" = the domain's accounts)
// LISTRIGHTS mailbox identifier           (RFC 4314 §3.4)
//   * LISTRIGHTS mailbox identifier "" l r s w i p k x t e a
// SETACL / DELETEACL                      (RFC 4314 §3.1, §3.2): rights follow the owner's shared
//   folder settings (IM-2), set by the administrator, so these answer NO [NOPERM]
import { astring } from '../parser.ts';
import { no, R } from '../replies.ts';
import type { CommandSpec } from '../types.ts';
import { nstring } from '../wire.ts';
import { mailboxArg, resolve, wireName, rawArgs } from './args.ts';
import { ALL_RIGHTS, rightsOf, sharedRights } from '../mailbox/namespace.ts';


export const MYRIGHTS: CommandSpec = {
  syntax: 'MYRIGHTS mailbox',
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: rawArgs,
  async run(s, _args, cmd) {
    const name = mailboxArg(s, cmd.args[0]);
    const r = await resolve(s, name);
    if (!r) return R.noMailbox();
    await s.send(Buffer.concat([Buffer.from('* MYRIGHTS '), wireName(s, name), Buffer.from(` ${rightsOf(r, s.account!)}\r\n`)]));
    return R.done('MYRIGHTS');
  },
};

export const GETACL: CommandSpec = {
  syntax: 'GETACL mailbox',
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: rawArgs,
  async run(s, _args, cmd) {
    const name = mailboxArg(s, cmd.args[0]);
    const r = await resolve(s, name);
    if (!r) return R.noMailbox();
    if (r.owner.id !== s.account!.id) return no('Only the owner may read the ACL', 'NOPERM');
    const owner = `${r.owner.name}@${r.owner.domain}`;
    const shared = sharedRights(r.owner, r.info.name);
    const entries = `${nstring(owner)} ${ALL_RIGHTS}${shared ? ` anyone ${shared}` : ''}`;
    await s.send(Buffer.concat([Buffer.from('* ACL '), wireName(s, name), Buffer.from(` ${entries}\r\n`)]));
    return R.done('GETACL');
  },
};

export const LISTRIGHTS: CommandSpec = {
  syntax: 'LISTRIGHTS mailbox identifier',
  states: ['auth', 'selected'],
  args: [2, 2],
  parse: rawArgs,
  async run(s, _args, cmd) {
    const name = mailboxArg(s, cmd.args[0]);
    const id = astring(cmd.args[1], 'identifier');
    if (!(await resolve(s, name))) return R.noMailbox();
    await s.send(Buffer.concat([Buffer.from('* LISTRIGHTS '), wireName(s, name), Buffer.from(` ${nstring(id)} "" l r s w i p k x t e a\r\n`)]));
    return R.done('LISTRIGHTS');
  },
};

const refuse: CommandSpec['run'] = async () => no('Rights follow the account\'s shared folder settings', 'NOPERM');

export const SETACL: CommandSpec = { syntax: 'SETACL mailbox identifier rights', states: ['auth', 'selected'], args: [3, 3], parse: rawArgs, run: refuse };
export const DELETEACL: CommandSpec = { syntax: 'DELETEACL mailbox identifier', states: ['auth', 'selected'], args: [2, 2], parse: rawArgs, run: refuse };
