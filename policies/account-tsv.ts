/**
 * AC-3: the seed's account import/export file. One account a line, eight TAB-separated fields:
 *
 *   account<TAB>password<TAB>full name<TAB>domain<TAB>home<TAB>smtp-auth flag<TAB>apop flag<TAB>mailbox limit
 *
 * (seed manual, "ユーザーアカウントのインポート・エクスポートファイルの保存形式"). The mailbox limit is
 * in bytes, 0 = unlimited (seed: "メールボックスサイズ制限 ... バイト単位", Default 0).
 *
 * Pure: the caller reads the file (see decodeAccountTsv for the bytes) and stores the rows.
 * Values are kept as written (no lower-casing) so that parse and serialize are exact inverses;
 * normalizing names is the account store's business.
 */
import { UsageError } from '../core/errors.ts';

export interface AccountTsvRow {
  /** Local part (the seed asks for half-width alphanumerics). */
  account: string;
  /** Plain password, or a hash the account store understands. */
  password: string;
  /** Free text; spaces and non-ASCII (Japanese) are kept as-is. */
  fullName: string;
  domain: string;
  /** The seed's home folder (ﾎｰﾑﾌｫﾙﾀﾞ); may be empty. */
  home: string;
  /** RX-4 level 3: "SMTP-AUTH & APOP" — the account must authenticate to send. */
  smtpAuth: boolean;
  apop: boolean;
  /** Mailbox size limit in bytes, 0 = unlimited. */
  quota: number;
}

export type Eol = '\n' | '\r\n';

export interface AccountTsvParseResult {
  rows: AccountTsvRow[];
  /** The line ending the file used, so an export can be written back in the same style. */
  eol: Eol;
}

const FIELD_COUNT = 8;
const FIELD_NAMES = ['account', 'password', 'full name', 'domain', 'home', 'smtp-auth flag', 'apop flag', 'mailbox limit'];

// Conservative on purpose: the seed accepts half-width alphanumerics, and real sites use . _ - +.
// '%' and '@' are excluded because `account%domain` / `account@domain` are login syntaxes (PO-1),
// '*' because it is the alias wildcard, '#' and "'" because they start comment lines.
const ACCOUNT_RE = /^[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*$/;
// LDH labels (RFC 1035 §2.3.1, relaxed to allow a leading digit per RFC 1123 §2.1).
const DOMAIN_RE = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/;
// C0 controls (TAB included: it is the separator), DEL and C1 controls never belong in a field.
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

const TRUE_WORDS = new Set(['1', 'yes', 'true', 'on']);
const FALSE_WORDS = new Set(['0', 'no', 'false', 'off']);

/** Parses a flag field: `1`/`0`, or yes/no, true/false, on/off in any case. */
function parseFlag(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

/** Problems with one row's values; shared by parse (per line) and serialize (per row). */
function rowProblems(row: Omit<AccountTsvRow, 'smtpAuth' | 'apop' | 'quota'>): string[] {
  const problems: string[] = [];
  if (row.account === '') problems.push('account is empty');
  else if (!ACCOUNT_RE.test(row.account)) {
    problems.push(`account ${JSON.stringify(row.account)} has invalid characters (allowed: A-Z a-z 0-9 . _ - +, no leading, trailing or double dot)`);
  }
  if (row.password === '') problems.push('password is empty (the seed requires one)');
  if (row.domain === '') problems.push('domain is empty');
  else if (!DOMAIN_RE.test(row.domain)) problems.push(`domain ${JSON.stringify(row.domain)} is not a valid domain name`);
  for (const [name, value] of [['password', row.password], ['full name', row.fullName], ['home', row.home]] as const) {
    if (CONTROL_RE.test(value)) problems.push(`${name} contains a TAB or control character`);
  }
  return problems;
}

/** Splits text into physical lines, remembering which ending it used (CRLF wins if any line has it). */
function splitLines(text: string): { lines: string[]; eol: Eol } {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const eol: Eol = body.includes('\r\n') ? '\r\n' : '\n';
  const lines = body.split(/\r?\n/);
  // A final line ending does not open an extra (empty) line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return { lines, eol };
}

function parseLine(line: string): { row?: AccountTsvRow; problems: string[] } {
  const fields = line.split('\t');
  if (fields.length === 1) {
    const hint = line.includes(' ') ? '; spaces are not separators, the format needs TAB' : '';
    return { problems: [`no TAB found: expected ${FIELD_COUNT} TAB-separated fields${hint}`] };
  }
  if (fields.length !== FIELD_COUNT) {
    return { problems: [`expected ${FIELD_COUNT} TAB-separated fields (${FIELD_NAMES.join(', ')}), found ${fields.length}`] };
  }
  const [account, password, fullName, domain, home, smtpAuthText, apopText, quotaText] = fields;
  const problems = rowProblems({ account, password, fullName, domain, home });
  const smtpAuth = parseFlag(smtpAuthText);
  if (smtpAuth === undefined) problems.push(`smtp-auth flag ${JSON.stringify(smtpAuthText)} is not 0/1 (or yes/no, true/false, on/off)`);
  const apop = parseFlag(apopText);
  if (apop === undefined) problems.push(`apop flag ${JSON.stringify(apopText)} is not 0/1 (or yes/no, true/false, on/off)`);
  const quotaTrimmed = quotaText.trim();
  let quota = 0;
  if (quotaTrimmed !== '') {
    quota = /^[0-9]+$/.test(quotaTrimmed) ? Number(quotaTrimmed) : NaN;
    if (!Number.isSafeInteger(quota)) {
      problems.push(`mailbox limit ${JSON.stringify(quotaText)} is not a non-negative whole number of bytes`);
    }
  }
  if (problems.length > 0) return { problems };
  return { row: { account, password, fullName, domain, home, smtpAuth: smtpAuth!, apop: apop!, quota }, problems };
}

/**
 * Parses an account TSV file (AC-3). Blank lines and lines starting with `#` or `'` (the seed's
 * comment mark) are skipped; CRLF or LF endings and a UTF-8 BOM are accepted. Flags accept `0`/`1`
 * and yes/no, true/false, on/off (any case); an empty mailbox limit means 0.
 *
 * Every line is checked before anything is returned, so one import either succeeds whole or
 * reports every problem at once.
 *
 * @throws UsageError listing each bad line as `line N: problem; problem`, including an account
 *   that appears twice (account@domain, compared case-insensitively).
 */
export function parseAccountTsv(text: string): AccountTsvParseResult {
  const { lines, eol } = splitLines(text);
  const rows: AccountTsvRow[] = [];
  const errors: string[] = [];
  const seen = new Map<string, number>();
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === '' || line.startsWith('#') || line.startsWith("'")) return;
    const { row, problems } = parseLine(line);
    if (row) {
      const key = `${row.account}@${row.domain}`.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) problems.push(`account ${row.account}@${row.domain} already defined on line ${first}`);
      else seen.set(key, lineNo);
    }
    if (problems.length > 0) errors.push(`line ${lineNo}: ${problems.join('; ')}`);
    else rows.push(row!);
  });
  if (errors.length > 0) {
    throw new UsageError(`account TSV: ${errors.length} bad line(s)\n` + errors.map((e) => `  ${e}`).join('\n'));
  }
  return { rows, eol };
}

/**
 * Writes rows in the AC-3 format: flags as `1`/`0`, the limit in bytes, every line ended by
 * `eol` (default `\n`; pass the parse result's `eol`, or `\r\n` for Windows tools). No BOM.
 * parseAccountTsv(serializeAccountTsv(rows)).rows deep-equals rows.
 *
 * @throws UsageError when a row could not be read back (a TAB in a field, an empty account, ...),
 *   naming the row by its 1-based position.
 */
export function serializeAccountTsv(rows: readonly AccountTsvRow[], options: { eol?: Eol } = {}): string {
  const eol = options.eol ?? '\n';
  const errors: string[] = [];
  const lines = rows.map((row, index) => {
    const problems = rowProblems(row);
    if (!Number.isSafeInteger(row.quota) || row.quota < 0) problems.push(`mailbox limit ${row.quota} is not a non-negative whole number`);
    if (problems.length > 0) errors.push(`row ${index + 1}: ${problems.join('; ')}`);
    return [row.account, row.password, row.fullName, row.domain, row.home, row.smtpAuth ? '1' : '0', row.apop ? '1' : '0', String(row.quota)].join('\t');
  });
  if (errors.length > 0) {
    throw new UsageError(`account TSV: ${errors.length} row(s) cannot be written\n` + errors.map((e) => `  ${e}`).join('\n'));
  }
  return lines.map((line) => line + eol).join('');
}

/**
 * Turns the bytes of an import file into text. The seed ran on Japanese Windows, so its exports
 * are usually Shift_JIS (CP932); a file that is valid UTF-8 (with or without BOM) is read as UTF-8,
 * anything else as Shift_JIS. Node's full ICU provides the shift_jis decoder.
 */
export function decodeAccountTsv(bytes: Uint8Array): string {
  try {
    // ignoreBOM: keep the BOM so parseAccountTsv sees and strips it the same way for every source.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return new TextDecoder('shift_jis').decode(bytes);
  }
}
