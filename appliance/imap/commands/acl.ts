// MYRIGHTS mailbox                        (RFC 4314 §3.5)
//   * MYRIGHTS mailbox rights
// GETACL mailbox                          (RFC 4314 §3.3; needs the "a" right: owners only)
//   * ACL mailbox owner@domain lrswipkxtea [anyone rights]   ("anyone" = the domain's accounts)
// LISTRIGHTS mailbox identifier           (RFC 4314 §3.4)
//   * LISTRIGHTS mailbox identifier "" l r s w i p k x t e a
// SETACL / DELETEACL                      (RFC 4314 §3.1, §3.2): rights follow the owner's shared
//   folder settings (IM-2), set by the administrator, so these answer NO [NOPERM]
import { astring, type Token } from '../parser.ts';
import { no, R } from '../replies.ts';
import { command, type ParseContext } from '../types.ts';
import { U } from '../untagged.ts';
import { mailboxName, parseMailbox, resolve, wireName } from './args.ts';
import { ALL_RIGHTS, rightsOf, sharedRights } from '../mailbox/namespace.ts';

/** RFC 4314 §3.4: the rights LISTRIGHTS offers, each on its own (none is granted with another). */
const EACH_RIGHT = [...ALL_RIGHTS];

export const MYRIGHTS = command({
  syntax: 'MYRIGHTS mailbox',
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: parseMailbox,
  async run(s, { name }) {
    const r = await resolve(s, name);
    if (!r) return R.noMailbox();
    await s.send(U.myRights(wireName(s, name), rightsOf(r, s.account!)));
    return R.done('MYRIGHTS');
  },
});

export const GETACL = command({
  syntax: 'GETACL mailbox',
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: parseMailbox,
  async run(s, { name }) {
    const r = await resolve(s, name);
    if (!r) return R.noMailbox();
    if (r.owner.id !== s.account!.id) return no('Only the owner may read the ACL', 'NOPERM');
    await s.send(U.acl(wireName(s, name), `${r.owner.name}@${r.owner.domain}`, ALL_RIGHTS, sharedRights(r.owner, r.info.name)));
    return R.done('GETACL');
  },
});

export interface AclIdentifierArgs {
  name: string;
  /** RFC 4314 §2 identifier (an account, or `anyone`). */
  identifier: string;
}

export const parseAclIdentifier = (args: Token[], ctx: ParseContext): AclIdentifierArgs => ({
  name: mailboxName(args[0], ctx),
  identifier: astring(args[1], 'identifier'),
});

export const LISTRIGHTS = command({
  syntax: 'LISTRIGHTS mailbox identifier',
  states: ['auth', 'selected'],
  args: [2, 2],
  parse: parseAclIdentifier,
  async run(s, { name, identifier }) {
    if (!(await resolve(s, name))) return R.noMailbox();
    await s.send(U.listRights(wireName(s, name), identifier, '', EACH_RIGHT));
    return R.done('LISTRIGHTS');
  },
});

export interface SetAclArgs extends AclIdentifierArgs {
  /** RFC 4314 §3.1: a leading `+` adds the rights, `-` removes them, else they replace the old ones. */
  mode: 'add' | 'remove' | 'set';
  rights: string;
}

export function parseSetAcl(args: Token[], ctx: ParseContext): SetAclArgs {
  const mod = astring(args[2], 'rights');
  const mode = mod.startsWith('+') ? 'add' : mod.startsWith('-') ? 'remove' : 'set';
  return { ...parseAclIdentifier(args, ctx), mode, rights: mode === 'set' ? mod : mod.slice(1) };
}

const refuse = async () => no('Rights follow the account\'s shared folder settings', 'NOPERM');

export const SETACL = command({ syntax: 'SETACL mailbox identifier rights', states: ['auth', 'selected'], args: [3, 3], parse: parseSetAcl, run: refuse });
export const DELETEACL = command({ syntax: 'DELETEACL mailbox identifier', states: ['auth', 'selected'], args: [2, 2], parse: parseAclIdentifier, run: refuse });
