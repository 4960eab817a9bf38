/**
 * CF-3: who may read and change the config repository. An admin is an account address listed in
 * `admin.users`, or, when that is not set, the admin address of a hosted domain (DO-1, default
 * Administrator@domain); either way it must be an account and the password must match. Access is
 * granted by adding the address (or making it a domain's admin) and revoked by removing it, by a
 * push like any other config change, or by changing or deleting the account.
 */
import type { AppConfig } from '../../core/config/schema.ts';
import type { Stores } from '../../core/store/ports.ts';

export async function configAdmins(config: AppConfig, stores: Pick<Stores, 'domains'>): Promise<string[]> {
  const listed = config.admin.users ?? (await stores.domains.list()).map((d) => d.admin).filter(Boolean);
  return listed.map((a) => a.toLowerCase());
}

export async function isConfigAdmin(config: AppConfig, stores: Pick<Stores, 'domains' | 'accounts'>, user: string, password: string): Promise<boolean> {
  if (!user || !password) return false;
  if (!(await configAdmins(config, stores)).includes(user.toLowerCase())) {
    // the password is still checked: answering faster for non-admins would tell who is one
    await stores.accounts.verifyPassword(user, password);
    return false;
  }
  return (await stores.accounts.verifyPassword(user, password)) !== null;
}
