/**
 * Mailbox names to mailboxes (RFC 2342 namespaces). Personal mailboxes have their own names;
 * IM-2 shared folders appear under `#Shared/<owner>/<folder>`: an account whose `sharedPath`
 * names one of its folders publishes that folder (and its subfolders) to the other accounts
 * of its domain, writable for them when the owner's `sharedWrite` is set, else read-only.
 */
import type { Account, MailboxInfo, Stores } from '../../../core/store/ports.ts';

export const SHARED_PREFIX = '#Shared/';

export interface Resolved {
  info: MailboxInfo;
  /** The session may change it (append, copy into, flags, expunge). */
  writable: boolean;
  /** The account that owns it (the session's own, or a sharing account). */
  owner: Account;
}

export const isSharedName = (name: string) => name === '#Shared' || name.startsWith(SHARED_PREFIX);

const published = (owner: Account, folder: string) =>
  owner.sharedPath !== '' && (folder === owner.sharedPath || folder.startsWith(owner.sharedPath + '/'));

export async function resolveMailbox(stores: Stores, me: Account, name: string): Promise<Resolved | null> {
  if (!isSharedName(name)) {
    const info = await stores.mail.mailbox(me.id, name);
    return info ? { info, writable: true, owner: me } : null;
  }
  const rest = name.slice(SHARED_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  const owner = await stores.accounts.get(`${rest.slice(0, slash)}@${me.domain}`).catch(() => null);
  const folder = rest.slice(slash + 1);
  if (!owner || owner.id === me.id || !published(owner, folder)) return null;
  const info = await stores.mail.mailbox(owner.id, folder);
  return info ? { info, writable: owner.sharedWrite, owner } : null;
}

/** Every shared mailbox the account can see, by its `#Shared/...` name. */
export async function sharedMailboxes(stores: Stores, me: Account): Promise<{ name: string; info: MailboxInfo; owner: Account }[]> {
  const out: { name: string; info: MailboxInfo; owner: Account }[] = [];
  for (const owner of await stores.accounts.list(me.domain)) {
    if (owner.id === me.id || !owner.sharedPath) continue;
    for (const info of await stores.mail.listMailboxes(owner.id)) {
      if (published(owner, info.name)) out.push({ name: `${SHARED_PREFIX}${owner.name}/${info.name}`, info, owner });
    }
  }
  return out;
}

/** RFC 4314 rights: all of them on one's own mailboxes; for a shared folder, what its owner allows. */
export const ALL_RIGHTS = 'lrswipkxtea';
export function rightsOf(resolved: Resolved, me: Account): string {
  if (resolved.owner.id === me.id) return ALL_RIGHTS;
  return resolved.writable ? 'lrswite' : 'lr';
}

/** Rights the domain's other accounts have on an owner's mailbox (empty when not published). */
export function sharedRights(owner: Account, folder: string): string {
  return published(owner, folder) ? (owner.sharedWrite ? 'lrswite' : 'lr') : '';
}
