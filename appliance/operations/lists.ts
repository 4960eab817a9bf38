/**
 * Mailing-list member operations (ML-1) on an opened store, shared by the CLI
 * (`mailserver list …`) and the console. LIST is `name` (a global list) or `name@domain`.
 */
import type { ListMember, ListStore, Stores } from '../../core/store/ports.ts';
import { UsageError } from '../../core/errors.ts';
import { parseMemberLine } from '../../policies/list-members.ts';

const LIST = /^[A-Za-z0-9._+-]+(@[A-Za-z0-9.-]+)?$/;

export function listKey(text: string): string {
  if (!LIST.test(text)) throw new UsageError(`"${text}" is not a list name (name or name@domain)`);
  return text.toLowerCase();
}

export function listStore(s: { lists?: ListStore }): ListStore {
  if (!s.lists) throw new UsageError('this store keeps no mailing lists');
  return s.lists;
}

export function listMembers(s: Stores, list: string): Promise<ListMember[]> {
  return listStore(s).members(listKey(list));
}

/** Adds one member (`addr`, `<addr>` or `Name <addr>`); false when the address was a member already. */
export async function addListMember(s: Stores, list: string, text: string, name?: string): Promise<{ key: string; address: string; added: boolean }> {
  const key = listKey(list);
  const m = parseMemberLine(text);
  if (!m) throw new UsageError(`"${text}" is not an address`);
  const added = await listStore(s).addMember(key, { address: m.address, name: name ?? m.name });
  return { key, address: m.address, added };
}

export async function removeListMember(s: Stores, list: string, address: string): Promise<string> {
  const key = listKey(list);
  if (!(await listStore(s).removeMember(key, address))) throw new UsageError(`${address} is not a member of ${key}`);
  return key;
}
