/** Domains, accounts and aliases in the embedded store. */
import fs from 'node:fs';
import path from 'node:path';
import { sql, type Db } from './database.ts';
import type { Account, AccountInput, AccountStore, Alias, AliasStore, Domain, DomainStore } from '../../../core/store/ports.ts';
import { UsageError } from '../../../core/errors.ts';
import { credentialsFor, verifyAgainstDummy, verifyPassword } from '../../auth/passwords.ts';
import { SPECIAL_FOLDERS, createMailbox } from './mailboxes.ts';

interface DomainRow { name: string; account_limit: number; admin: string; copy_errors_to_admin: number }
interface AccountRow {
  id: number; name: string; domain: string; full_name: string; home: string; quota: number; smtp_auth: number; apop: number;
  pop3_disabled: number; imap_disabled: number; shared_path: string; shared_write: number; password_hash: string; secret: string | null;
}

const toDomain = (r: DomainRow): Domain => ({ name: r.name, accountLimit: r.account_limit, admin: r.admin, copyErrorsToAdmin: !!r.copy_errors_to_admin });
const toAccount = (r: AccountRow): Account => ({
  id: r.id, name: r.name, domain: r.domain, fullName: r.full_name, home: r.home, quota: r.quota, smtpAuth: !!r.smtp_auth,
  apop: !!r.apop, pop3Disabled: !!r.pop3_disabled, imapDisabled: !!r.imap_disabled, sharedPath: r.shared_path,
  sharedWrite: !!r.shared_write, passwordHash: r.password_hash,
});

export function splitAddress(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) throw new UsageError(`"${address}" is not an address of the form user@domain`);
  return { local: address.slice(0, at).toLowerCase(), domain: address.slice(at + 1).toLowerCase() };
}

const LOCAL_PART = /^[a-z0-9!#$&'*+/=?^_`{|}~.-]+$/;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function checkDomainName(name: string): string {
  const d = name.toLowerCase();
  if (!DOMAIN.test(d)) throw new UsageError(`"${name}" is not a valid domain name`);
  return d;
}

/**
 * Drops the references an account's messages hold on their blobs (messages and mailboxes go
 * with the account by ON DELETE CASCADE); returns the files of blobs no longer referenced.
 */
function releaseAccountBlobs(db: Db, accountId: number): string[] {
  const refs = sql<[number], { blob_id: string; n: number }>(db, `SELECT m.blob_id, count(*) AS n FROM messages m
    JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.account_id = ? GROUP BY m.blob_id`).all(accountId);
  const files: string[] = [];
  for (const { blob_id, n } of refs) {
    const row = sql<[number, string], { refs: number; path: string | null }>(db,
      'UPDATE blobs SET refs = refs - ? WHERE id = ? RETURNING refs, path').get(n, blob_id);
    if (row && row.refs <= 0) {
      sql(db, 'DELETE FROM blobs WHERE id = ?').run(blob_id);
      if (row.path) files.push(row.path);
    }
  }
  return files;
}

function removeFiles(blobDir: string, relPaths: string[]): void {
  for (const rel of relPaths) fs.rmSync(path.join(blobDir, rel), { force: true });
}

export class EmbeddedDomains implements DomainStore {
  constructor(private readonly db: Db, private readonly blobDir: string) {}
  async get(name: string) {
    const r = sql<[string], DomainRow>(this.db, 'SELECT * FROM domains WHERE name = ?').get(name.toLowerCase());
    return r ? toDomain(r) : null;
  }
  async list() {
    return sql<[], DomainRow>(this.db, 'SELECT * FROM domains ORDER BY name').all().map(toDomain);
  }
  async create(d: Partial<Domain> & { name: string }) {
    const name = checkDomainName(d.name);
    if (await this.get(name)) throw new UsageError(`domain ${name} already exists`);
    sql(this.db, 'INSERT INTO domains (name, account_limit, admin, copy_errors_to_admin) VALUES (?, ?, ?, ?)')
      .run(name, d.accountLimit ?? 0, (d.admin ?? `Administrator@${name}`), d.copyErrorsToAdmin ? 1 : 0);
    return (await this.get(name))!;
  }
  async update(name: string, patch: Partial<Domain>) {
    const cur = await this.get(name);
    if (!cur) throw new UsageError(`no domain ${name}`);
    const next = { ...cur, ...patch };
    sql(this.db, 'UPDATE domains SET account_limit = ?, admin = ?, copy_errors_to_admin = ? WHERE name = ?')
      .run(next.accountLimit, next.admin, next.copyErrorsToAdmin ? 1 : 0, cur.name);
    return next;
  }
  async delete(name: string) {
    const domain = name.toLowerCase();
    const files = this.db.transaction(() => {
      const ids = sql<[string], { id: number }>(this.db, 'SELECT id FROM accounts WHERE domain = ?').all(domain);
      const unlinked = ids.flatMap(({ id }) => releaseAccountBlobs(this.db, id));
      const r = sql(this.db, 'DELETE FROM domains WHERE name = ?').run(domain);
      if (!r.changes) throw new UsageError(`no domain ${name}`);
      return unlinked;
    }).immediate();
    removeFiles(this.blobDir, files);
  }
}

export class EmbeddedAccounts implements AccountStore {
  constructor(private readonly db: Db, private readonly blobDir: string) {}

  async get(address: string) {
    const { local, domain } = splitAddress(address);
    const r = sql<[string, string], AccountRow>(this.db, 'SELECT * FROM accounts WHERE name = ? AND domain = ?').get(local, domain);
    return r ? toAccount(r) : null;
  }
  async getById(id: number) {
    const r = sql<[number], AccountRow>(this.db, 'SELECT * FROM accounts WHERE id = ?').get(id);
    return r ? toAccount(r) : null;
  }
  async list(domain?: string) {
    const rows = domain
      ? sql<[string], AccountRow>(this.db, 'SELECT * FROM accounts WHERE domain = ? ORDER BY domain, name').all(domain.toLowerCase())
      : sql<[], AccountRow>(this.db, 'SELECT * FROM accounts ORDER BY domain, name').all();
    return rows.map(toAccount);
  }

  async create(input: AccountInput) {
    const name = input.name.toLowerCase();
    if (!LOCAL_PART.test(name) || name.startsWith('.') || name.endsWith('.')) throw new UsageError(`"${input.name}" is not a valid account name`);
    const domain = sql<[string], DomainRow>(this.db, 'SELECT * FROM domains WHERE name = ?').get(input.domain.toLowerCase());
    if (!domain) throw new UsageError(`no domain ${input.domain}: add it first (mailserver domain add ${input.domain})`);
    const { hash, secret } = await credentialsFor(input.password, input.apop);
    const id = this.db.transaction(() => {
      const count = (sql(this.db, 'SELECT count(*) AS n FROM accounts WHERE domain = ?').get(domain.name) as { n: number }).n;
      if (domain.account_limit > 0 && count >= domain.account_limit) {
        throw new UsageError(`domain ${domain.name} already has its limit of ${domain.account_limit} accounts`);
      }
      if (sql(this.db, 'SELECT 1 FROM accounts WHERE name = ? AND domain = ?').get(name, domain.name)) {
        throw new UsageError(`account ${name}@${domain.name} already exists`);
      }
      const res = sql(this.db, `INSERT INTO accounts (name, domain, full_name, home, quota, smtp_auth, apop, pop3_disabled,
        imap_disabled, shared_path, shared_write, password_hash, secret) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`).run(
        name, domain.name, input.fullName, input.home, input.quota, input.smtpAuth ? 1 : 0, input.apop ? 1 : 0,
        input.pop3Disabled ? 1 : 0, input.imapDisabled ? 1 : 0, input.sharedPath, input.sharedWrite ? 1 : 0, hash, secret);
      const accountId = Number(res.lastInsertRowid);
      createMailbox(this.db, accountId, 'INBOX', null);
      for (const [folder, use] of SPECIAL_FOLDERS) createMailbox(this.db, accountId, folder, use);
      return accountId;
    }).immediate();
    return (await this.getById(id))!;
  }

  async update(address: string, patch: Partial<AccountInput>) {
    const cur = await this.get(address);
    if (!cur) throw new UsageError(`no account ${address}`);
    const n = { ...cur, ...patch };
    const stored = (sql(this.db, 'SELECT secret FROM accounts WHERE id = ?').get(cur.id) as { secret: string | null }).secret;
    const { hash, secret } = patch.password !== undefined
      ? await credentialsFor(patch.password, n.apop)
      : { hash: cur.passwordHash, secret: n.apop ? stored : null };
    sql(this.db, `UPDATE accounts SET full_name=?, home=?, quota=?, smtp_auth=?, apop=?, pop3_disabled=?, imap_disabled=?,
      shared_path=?, shared_write=?, password_hash=?, secret=? WHERE id=?`).run(
      n.fullName, n.home, n.quota, n.smtpAuth ? 1 : 0, n.apop ? 1 : 0, n.pop3Disabled ? 1 : 0, n.imapDisabled ? 1 : 0,
      n.sharedPath, n.sharedWrite ? 1 : 0, hash, secret, cur.id);
    return (await this.getById(cur.id))!;
  }

  async delete(address: string) {
    const cur = await this.get(address);
    if (!cur) throw new UsageError(`no account ${address}`);
    const files = this.db.transaction(() => {
      const unlinked = releaseAccountBlobs(this.db, cur.id);
      sql(this.db, 'DELETE FROM accounts WHERE id = ?').run(cur.id);
      return unlinked;
    }).immediate();
    removeFiles(this.blobDir, files);
  }

  async verifyPassword(address: string, password: string) {
    let acct: Account | null = null;
    try {
      acct = await this.get(address);
    } catch {
      acct = null;
    }
    if (!acct) return verifyAgainstDummy(password).then(() => null);
    return (await verifyPassword(password, acct.passwordHash)) ? acct : null;
  }

  async getSecret(accountId: number) {
    const r = sql<[number], { secret: string | null; apop: number }>(this.db, 'SELECT secret, apop FROM accounts WHERE id = ?').get(accountId);
    return r && r.apop ? r.secret : null;
  }
}

export class EmbeddedAliases implements AliasStore {
  constructor(private readonly db: Db) {}
  async list(domain?: string) {
    const rows = sql<[], { alias: string; target: string; rewrite: number | null }>(this.db, 'SELECT * FROM aliases ORDER BY alias').all();
    return rows
      .map((r) => ({ alias: r.alias, target: r.target, rewrite: r.rewrite === null ? null : !!r.rewrite }))
      .filter((a) => !domain || a.alias.endsWith(`@${domain.toLowerCase()}`));
  }
  async add(a: Alias) {
    const alias = a.alias.toLowerCase();
    if (sql(this.db, 'SELECT 1 FROM aliases WHERE alias = ?').get(alias)) throw new UsageError(`alias ${alias} already exists`);
    sql(this.db, 'INSERT INTO aliases (alias, target, rewrite) VALUES (?, ?, ?)').run(alias, a.target.toLowerCase(), a.rewrite === null ? null : a.rewrite ? 1 : 0);
  }
  async delete(alias: string) {
    const r = sql(this.db, 'DELETE FROM aliases WHERE alias = ?').run(alias.toLowerCase());
    if (!r.changes) throw new UsageError(`no alias ${alias}`);
  }
}
