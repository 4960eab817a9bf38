/**
 * The mailbox tree LIST answers from (RFC 3501 §6.3.8, RFC 5258 LIST-EXTENDED, RFC 9051
 * §6.3.9): the account's own mailboxes, the IM-2 shared ones under `#Shared/` with their
 * \Noselect parents, and subscriptions, including subscribed names that no longer exist.
 */
import type { Account, MailboxInfo, Stores } from '../../../core/store/ports.ts';
import { sharedMailboxes } from './namespace.ts';

const DELIMITER = '/';

export interface ListedBox {
  name: string;
  specialUse: string | null;
  /** Exists but cannot be selected (a `#Shared` parent). */
  noselect: boolean;
  /** No such mailbox (`\NonExistent`, RFC 5258 §3): a subscription left over, or a parent. */
  nonexistent: boolean;
  /** Does not exist, but mailboxes below it do (its parent was deleted): LIST shows it. */
  intermediate: boolean;
  subscribed: boolean;
  hasChildren: boolean;
  info: MailboxInfo | null;
}

/** Every name LIST can show, INBOX first, then by name. */
export async function mailboxTree(stores: Stores, account: Account): Promise<ListedBox[]> {
  const own = await stores.mail.listMailboxes(account.id);
  const shared = await sharedMailboxes(stores, account);
  const parents = [...new Set(shared.map((x) => `#Shared/${x.owner.name}`))];
  const subscribed = new Set(await stores.folders.subscriptions(account.id));
  const base = [
    ...own.map((b) => ({ name: b.name, specialUse: b.specialUse, noselect: false, info: b as MailboxInfo | null })),
    ...(shared.length ? [{ name: '#Shared', specialUse: null, noselect: true, info: null }] : []),
    ...parents.map((name) => ({ name, specialUse: null, noselect: true, info: null })),
    ...shared.map((x) => ({ name: x.name, specialUse: null, noselect: false, info: x.info as MailboxInfo | null })),
  ];
  const known = new Set(base.map((b) => b.name));
  // \HasChildren (RFC 3348) is about mailboxes that exist
  const parentNames = new Set(base.flatMap((b) => b.name.split(DELIMITER).slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join(DELIMITER))));
  const missing = (name: string) => ({ name, specialUse: null, noselect: true, info: null, nonexistent: true, intermediate: parentNames.has(name) });
  const gone = [...new Set([...subscribed, ...parentNames])].filter((n) => !known.has(n)).map(missing);
  const all = [...base.map((b) => ({ ...b, nonexistent: false, intermediate: false })), ...gone].map((b) => ({
    ...b,
    subscribed: subscribed.has(b.name),
    hasChildren: parentNames.has(b.name),
  }));
  return all.sort((a, b) => (a.name === 'INBOX' ? -1 : b.name === 'INBOX' ? 1 : a.name < b.name ? -1 : 1));
}

/** Whether a subscribed mailbox lies below `name` (RECURSIVEMATCH's CHILDINFO, RFC 5258 §3.5). */
/**
 * A subscribed mailbox below `name` that the command does not list itself (`listed` false):
 * what RFC 5258 §3 RECURSIVEMATCH reports as CHILDINFO on the parent, and what RFC 3501 §6.3.9
 * makes LSUB with `%` return as the parent flagged \Noselect. A subscribed child the patterns
 * match is listed on its own, so it does not bring its parent in.
 */
export function hasSubscribedChild(tree: ListedBox[], name: string, listed: (name: string) => boolean = () => false): boolean {
  const prefix = name + DELIMITER;
  return tree.some((b) => b.subscribed && b.name.startsWith(prefix) && !listed(b.name));
}

function patternRegex(pattern: string): RegExp {
  const body = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/%/g, '[^/]*');
  return new RegExp(`^${body}$`);
}

/** A LIST pattern (`*` anything, `%` anything but the delimiter); INBOX in any case (RFC 3501 §5.1). */
export function patternMatcher(full: string): (name: string) => boolean {
  const re = patternRegex(full);
  const inboxRe = new RegExp(re.source, 'i');
  return (name) => (name === 'INBOX' || name.startsWith('INBOX/') ? inboxRe.test(name) : re.test(name));
}
