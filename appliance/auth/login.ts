/**
 * Login names accepted by every protocol: `account@domain`, `account%domain` (multi-domain
 * on one IP, as the seed allows) and a bare `account` when exactly one domain has it.
 */
import type { Account, Stores } from '../../core/store/ports.ts';
import { verifyAgainstDummy } from './passwords.ts';

/** Maps a login to `account@domain`, or null when it names no single account. */
export async function resolveLogin(stores: Stores, login: string): Promise<string | null> {
  const normalized = login.trim().toLowerCase().replace('%', '@');
  if (normalized.includes('@')) return normalized;
  if (!/^[a-z0-9!#$&'*+/=?^_`{|}~.-]+$/.test(normalized)) return null;
  const matches: Account[] = [];
  for (const d of await stores.domains.list()) {
    const a = await stores.accounts.get(`${normalized}@${d.name}`);
    if (a) matches.push(a);
  }
  return matches.length === 1 ? `${matches[0].name}@${matches[0].domain}` : null;
}

/** Checks a login and password; the work is the same whether or not the account exists. */
export async function authenticate(stores: Stores, login: string, password: string): Promise<Account | null> {
  const address = await resolveLogin(stores, login);
  if (!address) return verifyAgainstDummy(password).then(() => null);
  return stores.accounts.verifyPassword(address, password);
}
