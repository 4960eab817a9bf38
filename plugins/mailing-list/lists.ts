/** The configured lists and how an address maps to one: `name@domain` or `name-request@domain`. */
import type { ListOptions } from './options.ts';

export interface ListDef extends ListOptions {
  /** Store key: `name` (global) or `name@domain`, lower-cased. */
  key: string;
  /** Local part of the list address. */
  local: string;
  /** Domain of a per-domain list; undefined for a global one. */
  domain?: string;
}

/** A list as seen at one domain. */
export interface ListAt {
  def: ListDef;
  domain: string;
  address: string;
  request: string;
}

export function defineLists(lists: ListOptions[]): ListDef[] {
  return lists.map((l) => {
    const [local, domain] = l.name.toLowerCase().split('@');
    return { ...l, key: l.name.toLowerCase(), local, domain };
  });
}

export function at(def: ListDef, domain: string): ListAt {
  return { def, domain, address: `${def.local}@${domain}`, request: `${def.local}-request@${domain}` };
}

/** The VERP envelope sender of a member's copy: `<list>-bounce+<local=domain>@<domain>`. */
export function verpAddress(list: ListAt, member: string): string {
  const i = member.lastIndexOf('@');
  return `${list.def.local}-bounce+${member.slice(0, i)}=${member.slice(i + 1)}@${list.domain}`;
}

/** The list and member a VERP bounce address names, or null. */
export async function lookupBounce(defs: ListDef[], address: string, hosted: (domain: string) => Promise<boolean>):
  Promise<{ list: ListAt; member: string } | null> {
  const i = address.lastIndexOf('@');
  const m = /^(.+?)-bounce\+(.+)=([^=@]+)$/i.exec(address.slice(0, i));
  if (i <= 0 || !m) return null;
  const found = await lookup(defs, `${m[1]}@${address.slice(i + 1)}`, hosted);
  if (!found || found.request || !found.list.def.bounceLimit) return null;
  return { list: found.list, member: `${m[2]}@${m[3]}` };
}

/**
 * The list an address names, and whether it is the -request address. A per-domain list wins
 * over a global one of the same name; `hosted` says whether a global list exists at a domain.
 */
export async function lookup(defs: ListDef[], address: string, hosted: (domain: string) => Promise<boolean>):
  Promise<{ list: ListAt; request: boolean } | null> {
  const a = address.toLowerCase();
  const i = a.lastIndexOf('@');
  if (i <= 0) return null;
  const local = a.slice(0, i);
  const domain = a.slice(i + 1);
  for (const request of [false, true]) {
    const name = request ? local.replace(/-request$/, '') : local;
    if (request && name === local) continue;
    const def = defs.find((d) => d.local === name && d.domain === domain)
      ?? defs.find((d) => d.local === name && !d.domain);
    if (!def) continue;
    if (!def.domain && !(await hosted(domain))) continue;
    return { list: at(def, domain), request };
  }
  return null;
}

/** A list named in a command (`JOIN test-ml`), as seen at the domain the command came to. */
export function byName(defs: ListDef[], name: string, domain: string): ListAt | null {
  const [local, dom] = name.toLowerCase().split('@');
  const d = dom ?? domain;
  const def = defs.find((x) => x.local === local && x.domain === d) ?? defs.find((x) => x.local === local && !x.domain);
  return def ? at(def, d) : null;
}
