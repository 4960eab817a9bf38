/**
 * Mailing-list member operations (ML-1) on an opened store, shared by the CLI
 * (`mailserver list …`) and the console. A list is defined in the config (the mailing-list
 * plugin's `lists`), its members live in the store; every operation that adds members checks the
 * list first, so members are never stored under a key that no configured list reads.
 * LIST is `name` (a global list) or `name@domain`.
 */
import { UsageError } from '../../core/errors.ts';
import type { AppConfig } from '../../core/config/schema.ts';
import type { ListMember, ListStore, Stores } from '../../core/store/ports.ts';
import { defineLists, type ListDef } from '../../plugins/mailing-list/lists.ts';
import type { ListOptions } from '../../plugins/mailing-list/options.ts';
import { parseMemberLine } from '../../policies/list-members.ts';

const LIST = /^[A-Za-z0-9._+-]+(@[A-Za-z0-9.-]+)?$/;

/** `name` or `name@domain`, lower-cased (the store key); a UsageError for anything else. */
export function listKey(text: string): string {
  if (!LIST.test(text)) throw new UsageError(`"${text}" is not a list name (name or name@domain)`);
  return text.toLowerCase();
}

/** The lists the config defines (none when it does not load the mailing-list plugin). */
export function configuredLists(config: AppConfig): ListDef[] {
  const entry = config.plugins.find((p) => p.name === 'mailing-list');
  const lists = (entry?.options as { lists?: ListOptions[] } | undefined)?.lists ?? [];
  return defineLists(lists);
}

export function listStore(s: Pick<Stores, 'lists'>): ListStore {
  if (!s.lists) throw new UsageError('this store keeps no mailing lists');
  return s.lists;
}

/**
 * The configured list `key` names; a UsageError saying what is defined when there is none, so
 * that a typo (or a list not yet in the config) is not silently given members nobody mails.
 * `source` names the config in the message (a file, or null for the built-in default).
 */
export function requireList(config: AppConfig, key: string, source: string | null): ListDef {
  const defs = configuredLists(config);
  const def = defs.find((d) => d.key === key);
  if (def) return def;
  const where = source ?? 'the default config (no config file found)';
  const global = key.includes('@') ? defs.find((d) => d.key === key.split('@')[0]) : undefined;
  const hint = global ? `; ${global.key} is a list at every hosted domain: use the name ${global.key}`
    : defs.length ? `; the lists defined are ${defs.map((d) => d.key).join(', ')}`
      : '; it defines no lists (add them to the mailing-list plugin\'s lists)';
  throw new UsageError(`no list ${key} in ${where}${hint}`);
}

export async function listMembers(stores: Pick<Stores, 'lists'>, config: AppConfig, key: string, source: string | null): Promise<ListMember[]> {
  requireList(config, key, source);
  return listStore(stores).members(key);
}

/**
 * Adds one member (`addr`, `<addr>` or `Name <addr>`; enables a disabled one again) to a list
 * the config defines; `added` is false when the address was a member already.
 */
export async function addListMember(stores: Pick<Stores, 'lists'>, config: AppConfig, source: string | null, list: string, text: string, name?: string): Promise<{ key: string; address: string; added: boolean }> {
  const key = listKey(list);
  const m = parseMemberLine(text);
  if (!m) throw new UsageError(`"${text}" is not an address`);
  requireList(config, key, source);
  const added = await listStore(stores).addMember(key, { address: m.address, name: name ?? m.name });
  return { key, address: m.address, added };
}

/** Adds (or with `replace`, sets) the members; returns how many were added. */
export async function importListMembers(stores: Pick<Stores, 'lists'>, config: AppConfig, key: string, members: { address: string; name: string }[], replace: boolean, source: string | null): Promise<number> {
  requireList(config, key, source);
  const l = listStore(stores);
  if (replace) return l.replaceMembers(key, members).then(() => members.length);
  let n = 0;
  for (const m of members) if (await l.addMember(key, m)) n++;
  return n;
}

/** Removes one member (of any list key, so members left from a list since removed can go). */
export async function removeListMember(stores: Pick<Stores, 'lists'>, list: string, address: string): Promise<string> {
  const key = listKey(list);
  if (!(await listStore(stores).removeMember(key, address))) throw new UsageError(`${address} is not a member of ${key}`);
  return key;
}
