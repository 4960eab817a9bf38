/**
 * A short-lived cache of successful password checks (as Dovecot's auth_cache): IMAP clients
 * log in again and again (one connection a folder, reconnects), and every scrypt check costs
 * tens of milliseconds of CPU. An entry holds a SHA-256 of the password, never the password,
 * and is valid only while the account's stored hash is unchanged (a password change ends it).
 */
import crypto from 'node:crypto';
import { authenticate } from '../auth/login.ts';
import type { Account, Stores } from '../../core/store/ports.ts';

const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

interface Entry { accountId: number; passwordHash: string; expires: number }

const cache = new Map<string, Entry>();

const keyOf = (login: string, password: string) =>
  crypto.createHash('sha256').update(login.trim().toLowerCase()).update('\0').update(password).digest('base64');

export async function authenticateCached(stores: Stores, login: string, password: string): Promise<Account | null> {
  const key = keyOf(login, password);
  const hit = cache.get(key);
  if (hit && hit.expires > Date.now()) {
    const account = await stores.accounts.getById(hit.accountId);
    if (account && account.passwordHash === hit.passwordHash) return account;
  }
  cache.delete(key);
  const account = await authenticate(stores, login, password);
  if (account) {
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(key, { accountId: account.id, passwordHash: account.passwordHash, expires: Date.now() + TTL_MS });
  }
  return account;
}
