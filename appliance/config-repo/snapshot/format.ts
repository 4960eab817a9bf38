/**
 * The data snapshot (CF-1): the runtime data that is not in mailserver.config.ts, as text files
 * under `data/` in the config repository. Pure: rows in, files out, and back.
 *
 * Every file is sorted and carries no export time, so exporting twice without a change gives the
 * same bytes and `git diff` between two exports shows exactly what changed:
 *
 *   data/domains.tsv            name, account limit, admin, copy errors to admin
 *   data/accounts.tsv           one account a line; the password as its `$scrypt$` hash, never
 *                               plain. APOP/CRAM-MD5 secrets are NOT exported (they are clear
 *                               text): after a restore such an account logs in with USER/PASS and
 *                               AUTH PLAIN/LOGIN, and gets APOP again when its password is set.
 *   data/aliases.tsv            alias, target[,0|,1] (the seed's columns, AL-1)
 *   data/lists/<list>.txt       the members of one list in the seed's member file format (ML-1)
 *   data/list-bounces.tsv       members with counted bounces or disabled (ML-5)
 *   data/refused-ips.txt        client IPs the mail filter refused at runtime (MF-2 units digit)
 *   data/autoreply-replied.tsv  addresses each account auto-replied to (AR-1)
 *
 * Fields are TAB-separated; a TAB, newline or backslash inside a field is written `\t`, `\n`, `\\`.
 */
import type { Account, Alias, Domain, ListMember, RefusedIp, RepliedAddress } from '../../../core/store/ports.ts';
import { formatMemberFile, parseMemberFile } from '../../../policies/list-members.ts';

export const DATA_DIR = 'data/';
export const PATHS = {
  domains: 'data/domains.tsv',
  accounts: 'data/accounts.tsv',
  aliases: 'data/aliases.tsv',
  listBounces: 'data/list-bounces.tsv',
  refusedIps: 'data/refused-ips.txt',
  replied: 'data/autoreply-replied.tsv',
} as const;
export const listPath = (list: string) => `data/lists/${list.toLowerCase()}.txt`;
const LIST_FILE = /^data\/lists\/([^/]+)\.txt$/;

/** An account as snapshotted: everything but the id (which a restore gives anew). */
export type AccountRow = Omit<Account, 'id'>;
export interface BounceRow { list: string; address: string; bounces: number; disabled: boolean }
export interface RepliedRow extends RepliedAddress { account: string }

export interface Snapshot {
  domains: Domain[];
  accounts: AccountRow[];
  aliases: Alias[];
  /** Members by list key. */
  lists: Record<string, ListMember[]>;
  refusedIps: RefusedIp[];
  replied: RepliedRow[];
}

/** Thrown for a snapshot file that cannot be read back; names the file and line. */
export class SnapshotError extends Error {}

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
const unesc = (s: string) => s.replace(/\\([\\tnr])/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c]!);
const bool = (b: boolean) => (b ? '1' : '0');
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function table(header: string[], comment: string, rows: string[][]): string {
  const lines = rows.map((r) => r.map(esc).join('\t')).sort(cmp);
  return [`# ${comment}`, `# ${header.join('\t')}`, ...lines].join('\n') + '\n';
}

/** Rows of a table file: `#` lines skipped, each row checked for its number of fields. */
function rows(file: string, text: string | undefined, fields: number): { line: number; f: string[] }[] {
  if (text === undefined) return [];
  const out: { line: number; f: string[] }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || line.startsWith('#')) return;
    const f = line.split('\t').map(unesc);
    if (f.length !== fields) throw new SnapshotError(`${file} line ${i + 1}: expected ${fields} TAB-separated fields, found ${f.length}`);
    out.push({ line: i + 1, f });
  });
  return out;
}

function parseBool(file: string, line: number, v: string): boolean {
  if (v !== '0' && v !== '1') throw new SnapshotError(`${file} line ${line}: expected 0 or 1, found ${JSON.stringify(v)}`);
  return v === '1';
}

function parseInt(file: string, line: number, v: string): number {
  if (!/^\d+$/.test(v)) throw new SnapshotError(`${file} line ${line}: expected a whole number, found ${JSON.stringify(v)}`);
  return Number(v);
}

function parseDate(file: string, line: number, v: string): Date {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new SnapshotError(`${file} line ${line}: expected an ISO date, found ${JSON.stringify(v)}`);
  return d;
}

const ACCOUNT_HEADER = ['address', 'full name', 'home', 'quota', 'smtp auth', 'apop', 'pop3 disabled', 'imap disabled', 'shared path', 'shared write', 'password hash'];

/** The files of a snapshot, by repository path. */
export function formatSnapshot(s: Snapshot): Record<string, string> {
  const files: Record<string, string> = {
    [PATHS.domains]: table(['name', 'account limit', 'admin', 'copy errors to admin'], 'domains (DO-1)',
      s.domains.map((d) => [d.name, String(d.accountLimit), d.admin, bool(d.copyErrorsToAdmin)])),
    [PATHS.accounts]: table(ACCOUNT_HEADER, 'accounts; passwords as hashes only, APOP secrets are not exported',
      s.accounts.map((a) => [`${a.name}@${a.domain}`, a.fullName, a.home, String(a.quota), bool(a.smtpAuth), bool(a.apop),
        bool(a.pop3Disabled), bool(a.imapDisabled), a.sharedPath, bool(a.sharedWrite), a.passwordHash])),
    [PATHS.aliases]: table(['alias', 'target[,0|,1]'], 'aliases (AL-1)',
      s.aliases.map((a) => [a.alias, a.rewrite === null ? a.target : `${a.target},${a.rewrite ? 1 : 0}`])),
    [PATHS.refusedIps]: table(['ip', 'added', 'reason'], 'client IPs refused at runtime (mail filter Level xx1); mailserver filter unrefuse IP takes one off',
      s.refusedIps.map((r) => [r.ip, r.added.toISOString(), r.reason])),
    [PATHS.replied]: table(['account', 'address', 'last reply', 'replies', 'recorded', 'never again'], 'auto-reply state (AR-1)',
      s.replied.map((r) => [r.account, r.address, r.lastReply.toISOString(), String(r.replies), bool(r.recorded), bool(r.neverAgain)])),
  };
  const bounces: string[][] = [];
  for (const list of Object.keys(s.lists).sort(cmp)) {
    const members = [...s.lists[list]].sort((a, b) => cmp(a.address.toLowerCase(), b.address.toLowerCase()));
    files[listPath(list)] = formatMemberFile(members.map((m) => ({ address: m.address, name: m.name })), `members of ${list.toLowerCase()}`);
    for (const m of members) if (m.bounces || m.disabled) bounces.push([list.toLowerCase(), m.address, String(m.bounces ?? 0), bool(!!m.disabled)]);
  }
  files[PATHS.listBounces] = table(['list', 'address', 'bounces', 'disabled'], 'list members with counted bounces (ML-5)', bounces);
  return files;
}

/** Reads the `data/` files of a commit back; a missing file is an empty table. */
export function parseSnapshot(files: Record<string, Buffer | string>): Snapshot {
  const text = (p: string) => (files[p] === undefined ? undefined : files[p].toString());
  const domains = rows(PATHS.domains, text(PATHS.domains), 4).map(({ line, f }) => ({
    name: f[0], accountLimit: parseInt(PATHS.domains, line, f[1]), admin: f[2], copyErrorsToAdmin: parseBool(PATHS.domains, line, f[3]),
  }));
  const accounts = rows(PATHS.accounts, text(PATHS.accounts), ACCOUNT_HEADER.length).map(({ line, f }) => {
    const at = f[0].lastIndexOf('@');
    if (at <= 0) throw new SnapshotError(`${PATHS.accounts} line ${line}: ${JSON.stringify(f[0])} is not user@domain`);
    if (!f[10].startsWith('$')) throw new SnapshotError(`${PATHS.accounts} line ${line}: the password field must be a hash ($scrypt$...)`);
    const b = (i: number) => parseBool(PATHS.accounts, line, f[i]);
    return {
      name: f[0].slice(0, at), domain: f[0].slice(at + 1), fullName: f[1], home: f[2], quota: parseInt(PATHS.accounts, line, f[3]),
      smtpAuth: b(4), apop: b(5), pop3Disabled: b(6), imapDisabled: b(7), sharedPath: f[8], sharedWrite: b(9), passwordHash: f[10],
    };
  });
  const aliases = rows(PATHS.aliases, text(PATHS.aliases), 2).map(({ f }) => {
    const m = /^(.*),([01])$/.exec(f[1]);
    return { alias: f[0], target: m ? m[1] : f[1], rewrite: m ? m[2] === '1' : null };
  });
  const refusedIps = rows(PATHS.refusedIps, text(PATHS.refusedIps), 3).map(({ line, f }) => ({
    ip: f[0], added: parseDate(PATHS.refusedIps, line, f[1]), reason: f[2],
  }));
  const replied = rows(PATHS.replied, text(PATHS.replied), 6).map(({ line, f }) => ({
    account: f[0], address: f[1], lastReply: parseDate(PATHS.replied, line, f[2]), replies: parseInt(PATHS.replied, line, f[3]),
    recorded: parseBool(PATHS.replied, line, f[4]), neverAgain: parseBool(PATHS.replied, line, f[5]),
  }));
  const lists: Record<string, ListMember[]> = {};
  for (const p of Object.keys(files).sort(cmp)) {
    const m = LIST_FILE.exec(p);
    if (!m) continue;
    const parsed = parseMemberFile(files[p].toString());
    if (parsed.errors.length) throw new SnapshotError(`${p} line ${parsed.errors[0].line}: "${parsed.errors[0].text.trim()}" is not an address`);
    lists[m[1]] = parsed.members.map((x) => ({ address: x.address, name: x.name }));
  }
  for (const { line, f } of rows(PATHS.listBounces, text(PATHS.listBounces), 4)) {
    const member = lists[f[0]]?.find((x) => x.address.toLowerCase() === f[1].toLowerCase());
    if (!member) throw new SnapshotError(`${PATHS.listBounces} line ${line}: ${f[1]} is not in ${listPath(f[0])}`);
    member.bounces = parseInt(PATHS.listBounces, line, f[2]);
    member.disabled = parseBool(PATHS.listBounces, line, f[3]);
  }
  return { domains, accounts, aliases, lists, refusedIps, replied };
}

/** True for the paths the snapshot owns (an export replaces exactly these). */
export function isSnapshotPath(p: string): boolean {
  return (Object.values(PATHS) as string[]).includes(p) || LIST_FILE.test(p);
}
