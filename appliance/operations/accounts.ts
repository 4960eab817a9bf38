/**
 * Account operations (AC-1, AC-2) on an opened store, shared by the CLI (`mailserver account …`)
 * and the console: the checks and the store calls, no printing. Errors are UsageErrors worded
 * for an operator.
 */
import type { Account, AccountInput, Stores } from '../../core/store/ports.ts';
import { UsageError } from '../../core/errors.ts';

export interface NewAccount {
  local: string;
  domain: string;
  password: string;
  fullName?: string;
  quota?: number;
  /** The seed's "SMTP-AUTH & APOP" flag. */
  apop?: boolean;
  pop3Disabled?: boolean;
  imapDisabled?: boolean;
}

export async function addAccount(s: Stores, a: NewAccount): Promise<Account> {
  if (!(await s.domains.get(a.domain))) throw new UsageError(`no domain ${a.domain}: add it first (mailserver domain add ${a.domain})`);
  if (await s.accounts.get(`${a.local}@${a.domain}`)) throw new UsageError(`account ${a.local}@${a.domain} already exists`);
  if (a.password === '') throw new UsageError('the password may not be empty');
  const apop = a.apop ?? false;
  const input: AccountInput = {
    name: a.local, domain: a.domain, fullName: a.fullName ?? '', home: '', quota: a.quota ?? 0, smtpAuth: apop, apop,
    pop3Disabled: a.pop3Disabled ?? false, imapDisabled: a.imapDisabled ?? false, sharedPath: '', sharedWrite: false, password: a.password,
  };
  return s.accounts.create(input);
}

/** Changes what `patch` holds; `apopWithoutSecret` = APOP is on but no clear secret is kept (set the password again). */
export async function changeAccount(s: Stores, address: string, patch: Partial<AccountInput>): Promise<{ account: Account; apopWithoutSecret: boolean }> {
  if (!(await s.accounts.get(address))) throw new UsageError(`no account ${address}`);
  if (patch.password === '') throw new UsageError('the password may not be empty');
  const account = await s.accounts.update(address, patch);
  return { account, apopWithoutSecret: account.apop && (await s.accounts.getSecret(account.id)) === null };
}

/** Deletes an account and its mail; returns the aliases that still point to it. */
export async function deleteAccount(s: Stores, address: string): Promise<string[]> {
  await s.accounts.delete(address);
  return (await s.aliases.list()).filter((a) => a.target === address).map((a) => a.alias);
}

export async function listAccounts(s: Stores, domain?: string): Promise<Account[]> {
  if (domain !== undefined && !(await s.domains.get(domain))) throw new UsageError(`no domain ${domain}`);
  return s.accounts.list(domain);
}

/** The account's flags as the CLI lists them: smtp-auth, apop, pop3-off, imap-off. */
export function accountFlags(a: Account): string[] {
  return [a.smtpAuth && 'smtp-auth', a.apop && 'apop', a.pop3Disabled && 'pop3-off', a.imapDisabled && 'imap-off'].filter((f): f is string => !!f);
}
