/** Domains, accounts and aliases in the cluster store (same rules and messages as the embedded store). */
import type { Account, AccountInput, AccountStore, Alias, AliasStore, Domain, DomainStore } from '../../../core/store/ports.ts';
import { UsageError } from '../../../core/errors.ts';
import { credentialsFor, verifyAgainstDummy, verifyPassword } from '../../auth/passwords.ts';
import { checkDomainName, splitAddress } from '../embedded/directory.ts';
import { SPECIAL_FOLDERS } from '../embedded/mailboxes.ts';
import { isUniqueViolation, type PgDb, type Sql } from './database.ts';
import { unrefBlobs } from './blobs.ts';
import { createMailbox } from './mailboxes.ts';

interface DomainRow { name: string; account_limit: number; admin: string; copy_errors_to_admin: boolean }
interface AccountRow {
  id: number; name: string; domain: string; full_name: string; home: string; quota: number; smtp_auth: boolean; apop: boolean;
  pop3_disabled: boolean; imap_disabled: boolean; shared_path: string; shared_write: boolean; password_hash: string; secret: string | null;
}

const toDomain = (r: DomainRow): Domain => ({ name: r.name, accountLimit: r.account_limit, admin: r.admin, copyErrorsToAdmin: r.copy_errors_to_admin });
const toAccount = (r: AccountRow): Account => ({
  id: r.id, name: r.name, domain: r.domain, fullName: r.full_name, home: r.home, quota: r.quota, smtpAuth: r.smtp_auth,
  apop: r.apop, pop3Disabled: r.pop3_disabled, imapDisabled: r.imap_disabled, sharedPath: r.shared_path,
  sharedWrite: r.shared_write, passwordHash: r.password_hash,
});

const LOCAL_PART = /^[a-z0-9!#$&'*+/=?^_`{|}~.-]+$/;

/** Drops the blob references of an account's messages (the rows go by ON DELETE CASCADE). */
async function releaseAccountBlobs(c: Sql, where: string, param: unknown): Promise<void> {
  const rows = await c.query<{ blob_id: string; n: number }>(`SELECT m.blob_id, count(*) AS n FROM messages m
    JOIN mailboxes b ON b.id = m.mailbox_id JOIN accounts a ON a.id = b.account_id WHERE ${where} GROUP BY m.blob_id`, [param]);
  await unrefBlobs(c, new Map(rows.rows.map((r) => [r.blob_id, r.n])));
}

export class PgDomains implements DomainStore {
  constructor(private readonly db: PgDb) {}
  async get(name: string) {
    const [r] = await this.db.q<DomainRow>('SELECT * FROM domains WHERE name = $1', [name.toLowerCase()]);
    return r ? toDomain(r) : null;
  }
  async list() {
    return (await this.db.q<DomainRow>('SELECT * FROM domains ORDER BY name')).map(toDomain);
  }
  async create(d: Partial<Domain> & { name: string }) {
    const name = checkDomainName(d.name);
    const rows = await this.db.q<DomainRow>(`INSERT INTO domains (name, account_limit, admin, copy_errors_to_admin) VALUES ($1, $2, $3, $4)
      ON CONFLICT (name) DO NOTHING RETURNING *`, [name, d.accountLimit ?? 0, d.admin ?? `Administrator@${name}`, !!d.copyErrorsToAdmin]);
    if (!rows.length) throw new UsageError(`domain ${name} already exists`);
    return toDomain(rows[0]);
  }
  async update(name: string, patch: Partial<Domain>) {
    const cur = await this.get(name);
    if (!cur) throw new UsageError(`no domain ${name}`);
    const next = { ...cur, ...patch };
    await this.db.q('UPDATE domains SET account_limit = $1, admin = $2, copy_errors_to_admin = $3 WHERE name = $4',
      [next.accountLimit, next.admin, next.copyErrorsToAdmin, cur.name]);
    return next;
  }
  async delete(name: string) {
    const domain = name.toLowerCase();
    await this.db.tx(async (c) => {
      const r = await c.query('SELECT 1 FROM domains WHERE name = $1 FOR UPDATE', [domain]);
      if (!r.rowCount) throw new UsageError(`no domain ${name}`);
      await releaseAccountBlobs(c, 'a.domain = $1', domain);
      await c.query('DELETE FROM domains WHERE name = $1', [domain]);
    }, 'domain delete');
  }
}

export class PgAccounts implements AccountStore {
  constructor(private readonly db: PgDb) {}

  async get(address: string) {
    const { local, domain } = splitAddress(address);
    const [r] = await this.db.q<AccountRow>('SELECT * FROM accounts WHERE name = $1 AND domain = $2', [local, domain]);
    return r ? toAccount(r) : null;
  }
  async getById(id: number) {
    const [r] = await this.db.q<AccountRow>('SELECT * FROM accounts WHERE id = $1', [id]);
    return r ? toAccount(r) : null;
  }
  async list(domain?: string) {
    const rows = domain
      ? await this.db.q<AccountRow>('SELECT * FROM accounts WHERE domain = $1 ORDER BY domain, name', [domain.toLowerCase()])
      : await this.db.q<AccountRow>('SELECT * FROM accounts ORDER BY domain, name');
    return rows.map(toAccount);
  }

  async create(input: AccountInput) {
    const name = input.name.toLowerCase();
    if (!LOCAL_PART.test(name) || name.startsWith('.') || name.endsWith('.')) throw new UsageError(`"${input.name}" is not a valid account name`);
    const domainName = input.domain.toLowerCase();
    if (!(await this.db.q('SELECT 1 FROM domains WHERE name = $1', [domainName])).length) {
      throw new UsageError(`no domain ${input.domain}: add it first (mailserver domain add ${input.domain})`);
    }
    const { hash, secret } = await credentialsFor(input.password, input.apop);
    const id = await this.db.tx(async (c) => {
      // the domain row lock serialises account creation per domain (the limit check, DO-1)
      const d = (await c.query<DomainRow>('SELECT * FROM domains WHERE name = $1 FOR UPDATE', [domainName])).rows[0];
      if (!d) throw new UsageError(`no domain ${input.domain}: add it first (mailserver domain add ${input.domain})`);
      const count = (await c.query<{ n: number }>('SELECT count(*) AS n FROM accounts WHERE domain = $1', [d.name])).rows[0].n;
      if (d.account_limit > 0 && count >= d.account_limit) {
        throw new UsageError(`domain ${d.name} already has its limit of ${d.account_limit} accounts`);
      }
      if ((await c.query('SELECT 1 FROM accounts WHERE name = $1 AND domain = $2', [name, d.name])).rowCount) {
        throw new UsageError(`account ${name}@${d.name} already exists`);
      }
      const res = await c.query<{ id: number }>(`INSERT INTO accounts (name, domain, full_name, home, quota, smtp_auth, apop, pop3_disabled,
        imap_disabled, shared_path, shared_write, password_hash, secret) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) RETURNING id`, [
        name, d.name, input.fullName, input.home, input.quota, input.smtpAuth, input.apop,
        input.pop3Disabled, input.imapDisabled, input.sharedPath, input.sharedWrite, hash, secret]);
      const accountId = res.rows[0].id;
      await createMailbox(c, accountId, 'INBOX', null);
      for (const [folder, use] of SPECIAL_FOLDERS) await createMailbox(c, accountId, folder, use);
      return accountId;
    }, 'account create').catch((err) => {
      if (isUniqueViolation(err)) throw new UsageError(`account ${name}@${domainName} already exists`);
      throw err;
    });
    return (await this.getById(id))!;
  }

  async update(address: string, patch: Partial<AccountInput>) {
    const cur = await this.get(address);
    if (!cur) throw new UsageError(`no account ${address}`);
    const n = { ...cur, ...patch };
    const stored = (await this.db.q<{ secret: string | null }>('SELECT secret FROM accounts WHERE id = $1', [cur.id]))[0]?.secret ?? null;
    const { hash, secret } = patch.password !== undefined
      ? await credentialsFor(patch.password, n.apop)
      : { hash: cur.passwordHash, secret: n.apop ? stored : null };
    await this.db.q(`UPDATE accounts SET full_name=$1, home=$2, quota=$3, smtp_auth=$4, apop=$5, pop3_disabled=$6, imap_disabled=$7,
      shared_path=$8, shared_write=$9, password_hash=$10, secret=$11 WHERE id=$12`, [
      n.fullName, n.home, n.quota, n.smtpAuth, n.apop, n.pop3Disabled, n.imapDisabled, n.sharedPath, n.sharedWrite, hash, secret, cur.id]);
    return (await this.getById(cur.id))!;
  }

  async delete(address: string) {
    const cur = await this.get(address);
    if (!cur) throw new UsageError(`no account ${address}`);
    await this.db.tx(async (c) => {
      await c.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [cur.id]);
      await releaseAccountBlobs(c, 'a.id = $1', cur.id);
      await c.query('DELETE FROM accounts WHERE id = $1', [cur.id]);
    }, 'account delete');
  }

  async verifyPassword(address: string, password: string) {
    let acct: Account | null = null;
    try {
      acct = await this.get(address);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      acct = null;
    }
    if (!acct) return verifyAgainstDummy(password).then(() => null);
    return (await verifyPassword(password, acct.passwordHash)) ? acct : null;
  }

  async getSecret(accountId: number) {
    const [r] = await this.db.q<{ secret: string | null; apop: boolean }>('SELECT secret, apop FROM accounts WHERE id = $1', [accountId]);
    return r && r.apop ? r.secret : null;
  }
}

export class PgAliases implements AliasStore {
  constructor(private readonly db: PgDb) {}
  async list(domain?: string) {
    const rows = await this.db.q<{ alias: string; target: string; rewrite: boolean | null }>('SELECT * FROM aliases ORDER BY alias');
    return rows.map((r) => ({ alias: r.alias, target: r.target, rewrite: r.rewrite }))
      .filter((a) => !domain || a.alias.endsWith(`@${domain.toLowerCase()}`));
  }
  async add(a: Alias) {
    const alias = a.alias.toLowerCase();
    const rows = await this.db.q('INSERT INTO aliases (alias, target, rewrite) VALUES ($1, $2, $3) ON CONFLICT (alias) DO NOTHING RETURNING alias',
      [alias, a.target.toLowerCase(), a.rewrite]);
    if (!rows.length) throw new UsageError(`alias ${alias} already exists`);
  }
  async delete(alias: string) {
    const rows = await this.db.q('DELETE FROM aliases WHERE alias = $1 RETURNING alias', [alias.toLowerCase()]);
    if (!rows.length) throw new UsageError(`no alias ${alias}`);
  }
}
