/**
 * `account import` and `account export`: the seed's account TSV (AC-3) against the store.
 * The file format itself is policies/account-tsv.ts; this module decides what an import may do.
 *
 * An import is all or nothing: every row is checked (format, domain hosted, account new unless
 * --update, domain account limits) before the first account is written, and if a write still
 * fails the accounts written so far are taken back.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Account, AccountInput, Stores } from '../../../core/store/ports.ts';
import { UsageError } from '../../../core/errors.ts';
import { decodeAccountTsv, parseAccountTsv, serializeAccountTsv, type AccountTsvRow } from '../../../policies/account-tsv.ts';
import type { Io } from '../io.ts';

/** Parallel writes: hashing plain passwords (scrypt) runs on libuv's pool of four threads. */
const CONCURRENCY = 4;

interface Step {
  row: AccountTsvRow;
  line: number;
  address: string;
  existing: Account | null;
}

export interface ImportResult {
  added: number;
  updated: number;
  /** Accounts flagged APOP without a clear secret (their password came as a hash): no APOP/CRAM-MD5 yet. */
  apopWithoutSecret: string[];
}

/**
 * The file line of each row. parseAccountTsv returns rows without their line numbers, so they
 * are found again by account and domain (a pair that is unique in a file that parsed).
 */
function lineIndex(text: string): (row: AccountTsvRow) => number {
  const lines = new Map<string, number>();
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((line, i) => {
    const f = line.split('\t');
    const key = `${f[0]}\t${f[3]}`.toLowerCase();
    if (f.length >= 4 && !lines.has(key)) lines.set(key, i + 1);
  });
  return (row) => lines.get(`${row.account}\t${row.domain}`.toLowerCase()) ?? 0;
}

function readRows(file: string): { rows: AccountTsvRow[]; lineOf: (row: AccountTsvRow) => number } {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const text = decodeAccountTsv(bytes);
  try {
    return { rows: parseAccountTsv(text).rows, lineOf: lineIndex(text) };
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${file}: nothing imported; ${err.message}`);
    throw err;
  }
}

async function plan(stores: Stores, file: string, update: boolean): Promise<Step[]> {
  const { rows, lineOf } = readRows(file);
  const domains = new Map((await stores.domains.list()).map((d) => [d.name, d]));
  const problems: string[] = [];
  const steps: Step[] = [];
  const newLines = new Map<string, number[]>();
  for (const row of rows) {
    const line = lineOf(row);
    const domain = row.domain.toLowerCase();
    const address = `${row.account.toLowerCase()}@${domain}`;
    if (!domains.has(domain)) {
      problems.push(`line ${line}: no domain ${domain} (add it first: mailserver domain add ${domain})`);
      continue;
    }
    const existing = await stores.accounts.get(address);
    if (existing && !update) {
      problems.push(`line ${line}: account ${address} already exists (use --update to change existing accounts)`);
      continue;
    }
    if (!existing) newLines.set(domain, [...(newLines.get(domain) ?? []), line]);
    steps.push({ row, line, address, existing });
  }
  for (const [name, lines] of newLines) {
    const limit = domains.get(name)!.accountLimit;
    const has = (await stores.accounts.list(name)).length;
    if (limit > 0 && has + lines.length > limit) {
      problems.push(`line ${lines[Math.max(0, limit - has)]}: domain ${name} allows ${limit} accounts; it has ${has} and the file adds ${lines.length}`);
    }
  }
  if (problems.length) {
    problems.sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
    throw new UsageError(`${file}: nothing imported; ${problems.length} bad line(s)\n` + problems.map((p) => `  ${p}`).join('\n'));
  }
  return steps;
}

type Done = { kind: 'added'; address: string } | { kind: 'updated'; address: string; before: Account; password: boolean };

async function apply(stores: Stores, step: Step): Promise<Done> {
  const { row, existing, address } = step;
  const fields = { fullName: row.fullName, home: row.home, smtpAuth: row.smtpAuth, apop: row.apop, quota: row.quota };
  if (!existing) {
    const input: AccountInput = {
      ...fields, name: row.account.toLowerCase(), domain: row.domain.toLowerCase(),
      pop3Disabled: false, imapDisabled: false, sharedPath: '', sharedWrite: false, password: row.password,
    };
    await stores.accounts.create(input);
    return { kind: 'added', address };
  }
  // an export carries the stored hash: setting it again would only drop the APOP secret
  const password = row.password !== existing.passwordHash;
  await stores.accounts.update(address, password ? { ...fields, password: row.password } : fields);
  return { kind: 'updated', address, before: existing, password };
}

async function undo(stores: Stores, done: Done): Promise<void> {
  if (done.kind === 'added') return stores.accounts.delete(done.address);
  const b = done.before;
  const fields = { fullName: b.fullName, home: b.home, smtpAuth: b.smtpAuth, apop: b.apop, quota: b.quota };
  await stores.accounts.update(done.address, done.password ? { ...fields, password: b.passwordHash } : fields);
}

export async function importAccounts(stores: Stores, file: string, opts: { update: boolean }): Promise<ImportResult> {
  const steps = await plan(stores, file, opts.update);
  const done: Done[] = [];
  const state: { next: number; failure: { step: Step; err: unknown } | null } = { next: 0, failure: null };
  const worker = async () => {
    while (!state.failure && state.next < steps.length) {
      const step = steps[state.next++];
      try {
        done.push(await apply(stores, step));
      } catch (err) {
        state.failure ??= { step, err };
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (state.failure) {
    const { step, err } = state.failure;
    const undone = await Promise.allSettled(done.map((d) => undo(stores, d)));
    const stuck = undone.filter((u) => u.status === 'rejected').length;
    const reason = err instanceof Error ? err.message : String(err);
    throw new UsageError(
      `${file}: line ${step.line}: ${reason}; ` +
        (stuck ? `${stuck} of the ${done.length} accounts already written could not be taken back` : 'nothing imported'),
    );
  }
  const apopWithoutSecret: string[] = [];
  for (const step of steps.filter((s) => s.row.apop)) {
    const account = await stores.accounts.get(step.address);
    if (account && (await stores.accounts.getSecret(account.id)) === null) apopWithoutSecret.push(step.address);
  }
  return {
    added: done.filter((d) => d.kind === 'added').length,
    updated: done.filter((d) => d.kind === 'updated').length,
    apopWithoutSecret,
  };
}

export interface ExportResult {
  count: number;
  /** Accounts with settings the TSV format has no column for. */
  notCarried: number;
}

/** Writes every account as AC-3 TSV to `file` (owner-only, replaced atomically), or to stdout. */
export async function exportAccounts(stores: Stores, file: string | undefined, io: Io): Promise<ExportResult> {
  const accounts = await stores.accounts.list();
  const rows: AccountTsvRow[] = accounts.map((a) => ({
    account: a.name, password: a.passwordHash, fullName: a.fullName, domain: a.domain, home: a.home,
    smtpAuth: a.smtpAuth, apop: a.apop, quota: a.quota,
  }));
  const text = serializeAccountTsv(rows);
  if (file === undefined) io.write(text);
  else {
    const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
    try {
      fs.writeFileSync(tmp, text, { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw new UsageError(`cannot write ${file}: ${(err as Error).message}`);
    }
  }
  const notCarried = accounts.filter((a) => a.pop3Disabled || a.imapDisabled || a.sharedPath || a.sharedWrite).length;
  return { count: accounts.length, notCarried };
}
