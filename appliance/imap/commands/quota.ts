// GETQUOTAROOT mailbox                    (RFC 9208 §4.3.2)
//   * QUOTAROOT mailbox "" / * QUOTA "" (STORAGE used limit) (in KiB), when the account has a limit
// GETQUOTA root                           (RFC 9208 §4.3.1)
// SETQUOTA root (resource limit ...)      (RFC 9208 §4.3.3): limits are set by the operator; NO
import { astring, BadArgument, list, type Token } from '../parser.ts';
import { no, R } from '../replies.ts';
import { command, type ImapSession } from '../types.ts';
import { U } from '../untagged.ts';
import { findMailbox, parseMailbox, wireName } from './args.ts';

/** The one quota root of an account (RFC 9208 §4.2), named "". */
const ROOT = '';

async function quotaLine(s: ImapSession): Promise<string> {
  const used = await s.env.stores.mail.usage(s.account!.id);
  return U.quota(Math.ceil(used / 1024), Math.floor(s.account!.quota / 1024));
}

export const GETQUOTAROOT = command({
  syntax: 'GETQUOTAROOT mailbox',
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: parseMailbox,
  async run(s, { name }) {
    if (!(await findMailbox(s, name))) return R.noMailbox();
    if (s.account!.quota <= 0) await s.send(U.quotaRoot(wireName(s, name), []));
    else await s.send(Buffer.concat([U.quotaRoot(wireName(s, name), [ROOT]), Buffer.from(await quotaLine(s))]));
    return R.done('GETQUOTAROOT');
  },
});

export interface QuotaRootArgs {
  root: string;
}

export const parseQuotaRoot = (args: Token[]): QuotaRootArgs => ({ root: astring(args[0], 'quota root') });

export const GETQUOTA = command({
  syntax: 'GETQUOTA quota-root',
  states: ['auth', 'selected'],
  args: [1, 1],
  parse: parseQuotaRoot,
  async run(s, { root }) {
    if (root !== ROOT || s.account!.quota <= 0) return R.noQuotaRoot();
    await s.send(await quotaLine(s));
    return R.done('GETQUOTA');
  },
});

export interface SetQuotaArgs extends QuotaRootArgs {
  /** Resource names upper-cased, with their limits (RFC 9208 §4.3.3 `setquota-resource`). */
  limits: [resource: string, limit: number][];
}

/** RFC 9208 §9 `setquota-list = "(" [setquota-resource *(SP setquota-resource)] ")"`, `res-limit = number64`. */
export function parseSetQuota(args: Token[]): SetQuotaArgs {
  const items = list(args[1], 'resource limits');
  if (items.length % 2) throw new BadArgument('Invalid quota resource limit');
  const limits: SetQuotaArgs['limits'] = [];
  for (let i = 0; i < items.length; i += 2) {
    const [res, lim] = [items[i], items[i + 1]];
    if (res.t !== 'atom' || lim.t !== 'atom' || !/^\d{1,19}$/.test(lim.v)) throw new BadArgument('Invalid quota resource limit');
    limits.push([res.v.toUpperCase(), Number(lim.v)]);
  }
  return { ...parseQuotaRoot(args), limits };
}

export const SETQUOTA = command({
  syntax: 'SETQUOTA quota-root (resource limit ...)',
  states: ['auth', 'selected'],
  args: [2, 2],
  parse: parseSetQuota,
  async run() {
    return no('Quotas are set by the administrator', 'NOPERM');
  },
});
