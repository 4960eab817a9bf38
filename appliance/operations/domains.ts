/**
 * Domain operations (DO-1) on an opened store, shared by the CLI (`mailserver domain …`) and the
 * console: the checks and the store calls, no printing.
 */
import type { Domain, Stores } from '../../core/store/ports.ts';
import { UsageError } from '../../core/errors.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;

export interface DomainRow extends Domain { accounts: number }

export function addDomain(s: Stores, d: { name: string; accountLimit?: number; admin?: string; copyErrorsToAdmin?: boolean }): Promise<Domain> {
  return s.domains.create(d);
}

export async function changeDomain(s: Stores, name: string, patch: Partial<Omit<Domain, 'name'>>): Promise<Domain> {
  if (!(await s.domains.get(name))) throw new UsageError(`no domain ${name}`);
  return s.domains.update(name, patch);
}

/**
 * Deletes a domain; one with accounts or aliases only with `force`, which deletes them too.
 * `inbound`: aliases of other domains that still point into it.
 */
export async function deleteDomain(s: Stores, name: string, force: boolean): Promise<{ name: string; accounts: number; aliases: number; inbound: string[] }> {
  const domain = await s.domains.get(name);
  if (!domain) throw new UsageError(`no domain ${name}`);
  const accounts = (await s.accounts.list(domain.name)).length;
  const aliases = await s.aliases.list(domain.name);
  if ((accounts || aliases.length) && !force) {
    throw new UsageError(
      `domain ${domain.name} still has ${plural(accounts, 'account')} and ${plural(aliases.length, 'alias')}; ` +
        'delete them first, or add --force to delete them with the domain',
    );
  }
  for (const a of aliases) await s.aliases.delete(a.alias);
  // accounts, their mailboxes and messages go with the domain (ON DELETE CASCADE)
  await s.domains.delete(domain.name);
  const inbound = (await s.aliases.list()).filter((a) => a.target.endsWith(`@${domain.name}`)).map((a) => a.alias);
  return { name: domain.name, accounts, aliases: aliases.length, inbound };
}

/** Every domain (or the one named) with its number of accounts. */
export async function listDomains(s: Stores, name?: string): Promise<DomainRow[]> {
  const domains = name ? [await s.domains.get(name)] : await s.domains.list();
  if (domains[0] === null) throw new UsageError(`no domain ${name}`);
  const out: DomainRow[] = [];
  for (const d of domains) if (d) out.push({ ...d, accounts: (await s.accounts.list(d.name)).length });
  return out;
}

export { plural };
