/**
 * Translates the original product's files (found by files.ts) into the parts of a typed
 * mailserver.config.ts and the runtime data for the store. Pure apart from reading DIR: the
 * caller renders the config (generate-config.ts), loads the data and commits.
 *
 * Where a plugin reads the original's own format (relay-effect and mailfilter `file:`, the
 * delivery gateway table), the original file is copied into the repository under `epost/` and
 * referenced, so what runs is exactly what the original ran; the rest is translated to typed
 * settings. Whatever cannot be translated is listed in `untranslated`, with file and line.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Alias } from '../../../core/store/ports.ts';
import { decodeAccountTsv, parseAccountTsv, type AccountTsvRow } from '../../../policies/account-tsv.ts';
import { parseAliasRule } from '../../../policies/alias.ts';
import { parseEffectDat } from '../../../policies/effect-dat.ts';
import { parseGatewayTable } from '../../../policies/gateway-table.ts';
import { importImsCtl, type ResolvedAccount } from '../../../policies/ims-ctl.ts';
import { decodeMemberFile, parseMemberFile, type Member } from '../../../policies/list-members.ts';
import { parseMailDat } from '../../../policies/mail-dat.ts';
import { decodeMailDatBytes } from '../../../plugins/mailfilter/load.ts';
import type { EpostFiles, MailboxFolder } from './files.ts';

/** Where a part came from: `file` (relative to DIR) and, when it is one part of it, lines. */
export interface Source { file: string; lines?: string }

export interface EpostTranslation {
  hidden: { smtp?: { ips: string[]; source: Source }; pop3?: { ips: string[]; source: Source }; imap?: { ips: string[]; source: Source } };
  /** Repository path of the copied gateway table (delivery.gatewayTableFile). */
  gateway?: { copy: string; rules: number; source: Source };
  effect?: { copy: string; rules: number; source: Source };
  mailfilter?: { copy: string; rules: number; source: Source };
  /** AC-6 per-account mail.dat files. */
  accountFilters: { address: string; copy: string; rules: number; source: Source }[];
  autoreply: { address: string; settings: ResolvedAccount; source: Source }[];
  lists: { key: string; members: Member[]; source: Source }[];
  /** Runtime data. */
  domains: string[];
  accounts: { rows: AccountTsvRow[]; file: string }[];
  aliases: { rule: Alias; source: Source }[];
  replied: { address: string; addresses: string[]; when: Date; source: Source }[];
  /** Files copied into the repository (path under `epost/` -> bytes): every file of DIR that was read, and the ones not translated. */
  copies: Record<string, Buffer>;
  /** What could not be translated, one line each, naming file and line. */
  untranslated: string[];
  /** Remarks on choices the import made (shown, and in the commit message). */
  notes: string[];
}

/** Files larger than this are not copied into the repository (they are listed instead). */
const MAX_COPY = 1024 * 1024;
export const copyPath = (rel: string) => `epost/${rel}`;

function lineRange(numbers: number[]): string | undefined {
  if (!numbers.length) return undefined;
  const lo = Math.min(...numbers);
  const hi = Math.max(...numbers);
  return lo === hi ? `${lo}` : `${lo}-${hi}`;
}

export function translateEpost(found: EpostFiles): EpostTranslation {
  const t: EpostTranslation = {
    hidden: {}, accountFilters: [], autoreply: [], lists: [], domains: [], accounts: [], aliases: [], replied: [], copies: {}, untranslated: [], notes: [],
  };
  const read = (rel: string) => fs.readFileSync(path.join(found.root, rel));
  const copy = (rel: string) => {
    const bytes = read(rel);
    if (bytes.length > MAX_COPY) t.untranslated.push(`${rel}: ${bytes.length} bytes, not copied into the repository (over ${MAX_COPY})`);
    else t.copies[copyPath(rel)] = bytes;
    return copyPath(rel);
  };
  const domains = new Set<string>();

  // RX-9: one local IP a line
  for (const service of ['smtp', 'pop3', 'imap'] as const) {
    const rel = found.hidden[service];
    if (!rel) continue;
    copy(rel);
    const ips: string[] = [];
    const lines: number[] = [];
    decodeMemberFile(read(rel)).split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith("'") || line.startsWith('#')) return;
      if (net.isIP(line)) {
        ips.push(line);
        lines.push(i + 1);
      } else t.untranslated.push(`${rel} line ${i + 1}: "${line}" is not an IP address`);
    });
    if (ips.length) t.hidden[service] = { ips, source: { file: rel, lines: lineRange(lines) } };
  }

  if (found.effect) {
    try {
      const parsed = parseEffectDat(read(found.effect).toString('latin1'));
      for (const w of parsed.warnings) t.untranslated.push(`${found.effect} ${w}`);
      t.effect = { copy: copy(found.effect), rules: parsed.rules.length, source: { file: found.effect } };
    } catch (err) {
      copy(found.effect);
      t.untranslated.push(`${found.effect}: not used, ${(err as Error).message} (the secure default rules apply; fix the file and set relay-effect's file:)`);
    }
  }

  if (found.mailDat) {
    const parsed = parseMailDat(decodeMailDatBytes(read(found.mailDat)));
    for (const w of parsed.warnings) t.untranslated.push(`${found.mailDat} ${w}`);
    t.mailfilter = { copy: copy(found.mailDat), rules: parsed.rules.length, source: { file: found.mailDat } };
    for (const r of parsed.rules) if (r.rbl) t.notes.push(`${found.mailDat}: rule "${r.name}" looks up ${r.rbl} (RBL:) through the system resolver unless mailfilter's dnsServers is set`);
  }

  if (found.gateway) {
    try {
      const rules = parseGatewayTable(read(found.gateway).toString('latin1'));
      t.gateway = { copy: copy(found.gateway), rules: rules.length, source: { file: found.gateway } };
    } catch (err) {
      copy(found.gateway);
      t.untranslated.push(`${found.gateway}: not used, ${(err as Error).message}`);
    }
  }

  // AC-3: accounts (runtime data; a bad file stops the import: the parser names every bad line)
  const rows: AccountTsvRow[] = [];
  for (const rel of found.accounts) {
    const parsed = parseAccountTsv(decodeAccountTsv(read(rel)));
    t.accounts.push({ rows: parsed.rows, file: path.join(found.root, rel) });
    rows.push(...parsed.rows);
    for (const r of parsed.rows) domains.add(r.domain.toLowerCase());
    t.notes.push(`${rel}: ${parsed.rows.length} account(s); passwords are stored as scrypt hashes (the file itself is not copied into the repository)`);
  }

  if (found.alias) {
    copy(found.alias);
    decodeMemberFile(read(found.alias)).split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith("'") || line.startsWith('#')) return;
      const f = line.replace(/"/g, '').split(/\s*(?:→|->|=>|\t|\s)\s*/).filter(Boolean);
      try {
        if (f.length !== 2) throw new Error('expected two columns: alias, then real address[,0|,1]');
        const rule = parseAliasRule(f[0], f[1]);
        t.aliases.push({ rule, source: { file: found.alias!, lines: `${i + 1}` } });
        domains.add(rule.alias.slice(rule.alias.lastIndexOf('@') + 1).toLowerCase());
      } catch (err) {
        t.untranslated.push(`${found.alias} line ${i + 1}: ${(err as Error).message} ("${line}")`);
      }
    });
  }

  for (const box of found.mailboxes) mailbox(t, found, box, rows, read, copy);

  for (const { key, file } of found.lists) {
    copy(file);
    const parsed = parseMemberFile(decodeMemberFile(read(file)));
    for (const e of parsed.errors) t.untranslated.push(`${file} line ${e.line}: "${e.text.trim()}" is not an address`);
    if (!/^[a-z0-9._+-]+(@[a-z0-9.-]+)?$/.test(key)) {
      t.untranslated.push(`${file}: "${key}" is not a list name (name or name@domain)`);
      continue;
    }
    t.lists.push({ key, members: parsed.members, source: { file } });
    if (key.includes('@')) domains.add(key.slice(key.indexOf('@') + 1));
  }
  if (found.lists.length) t.notes.push('mailing lists: the members come from the member files; the lists\' other settings were in the original\'s registry, so the mailing-list plugin\'s defaults apply (set subjectTag, posters, ... by hand)');

  if (found.header) {
    copy(found.header);
    t.untranslated.push(`${found.header}: the Received: header file has no documented format; copied to ${copyPath(found.header)} but not translated (set smtp.receivedTemplate, see policies/received-template.ts)`);
  }
  for (const rel of found.unknown) {
    copy(rel);
    t.untranslated.push(`${rel}: not a file this importer knows; copied to ${copyPath(rel)}, not translated`);
  }
  t.notes.push('the host name, listeners, SMTP AUTH and domain settings were in the original\'s registry, not in these files: the defaults apply (set them in mailserver.config.ts and with mailserver domain)');
  t.domains = [...domains].sort();
  return t;
}

/** The account a mailbox folder belongs to: its home folder in the account file, else its name. */
function accountOf(box: MailboxFolder, rows: AccountTsvRow[]): string | null {
  const name = path.posix.basename(box.dir).toLowerCase();
  const byHome = rows.filter((r) => r.home.toLowerCase().replace(/\\/g, '/').split('/').pop() === name);
  const byName = rows.filter((r) => r.account.toLowerCase() === name);
  const match = byHome.length === 1 ? byHome[0] : byName.length === 1 ? byName[0] : null;
  if (match) return `${match.account}@${match.domain}`.toLowerCase();
  return /^[^@\s]+@[^@\s]+$/.test(name) ? name : null;
}

const MAILBOX_FILES = new Set(['IMS.CTL', 'AUTORPLY.TXT', 'NOREPLY.TXT', 'PERMITFROM.TXT', 'REPLIED.TXT', 'MAIL.DAT']);

function mailbox(t: EpostTranslation, found: EpostFiles, box: MailboxFolder, rows: AccountTsvRow[], read: (rel: string) => Buffer, copy: (rel: string) => string): void {
  const ctl = box.files.get('IMS.CTL')!;
  const address = accountOf(box, rows);
  const used = new Set<string>();
  const file = (name: string) => {
    const rel = box.files.get(name);
    if (rel) used.add(rel);
    return rel ? read(rel) : undefined;
  };
  if (!address) {
    for (const rel of box.files.values()) copy(rel);
    t.untranslated.push(`${ctl}: folder "${box.dir}" matches no account of the account file (by home folder or name); not translated`);
    return;
  }
  const r = importImsCtl({
    ctl: file('IMS.CTL')!, autorply: file('AUTORPLY.TXT'), noreply: file('NOREPLY.TXT'), permitfrom: file('PERMITFROM.TXT'), replied: file('REPLIED.TXT'),
    // `ForwardTo=FILE:c:\forward\list.txt`: looked for by its name in the folder
    forwardList: (p) => {
      const rel = box.files.get((p.split(/[\\/]/).pop() ?? p).toUpperCase());
      if (!rel) return null;
      used.add(rel);
      return read(rel);
    },
  });
  for (const w of r.warnings) t.untranslated.push(`${ctl}: ${w}`);
  t.autoreply.push({ address, settings: r.settings, source: { file: ctl } });
  if (r.replied.length) {
    const rel = box.files.get('REPLIED.TXT')!;
    t.replied.push({ address, addresses: r.replied, when: fs.statSync(path.join(found.root, rel)).mtime, source: { file: rel } });
  }
  const mailDat = box.files.get('MAIL.DAT');
  if (mailDat) {
    const parsed = parseMailDat(decodeMailDatBytes(read(mailDat)));
    for (const w of parsed.warnings) t.untranslated.push(`${mailDat} ${w}`);
    t.accountFilters.push({ address, copy: copy(mailDat), rules: parsed.rules.length, source: { file: mailDat } });
  }
  for (const rel of box.files.values()) {
    copy(rel);
    if (!used.has(rel) && !MAILBOX_FILES.has(path.posix.basename(rel).toUpperCase())) {
      t.untranslated.push(`${rel}: not a settings file of the mailbox folder (mail itself is not migrated); copied, not translated`);
    }
  }
}
