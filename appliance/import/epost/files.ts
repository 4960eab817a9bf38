/**
 * Finds the original product's files in a directory (`mailserver import epost DIR`). Whichever
 * exist are used; names are compared case-insensitively (the original ran on Windows):
 *
 *   effect.dat                         relay rules (RL-1 … RL-6)
 *   mail.dat                           mail filter (MF-1, MF-2)
 *   gateway.dat | gateway.txt | gatewaytable.dat   the gateway table (TX-4)
 *   alias.txt | aliases.txt | alias.dat            the alias list (AL-1): `alias  target[,0|,1]`
 *   *.tsv | accounts.txt                           the account export (AC-3)
 *   header.dat                         the Received: header file (RX-3)
 *   hiddensmtpip.dat, hiddenpopip.dat, hiddenimapip.dat   hidden local IPs (RX-9)
 *   any folder holding IMS.CTL         one account's mailbox folder (FW-1, FW-2, AR-1)
 *   lists/ or ml/ *.txt                one mailing list's member file each (ML-1), named by the list
 *
 * Every other file is reported as not translated.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../../core/errors.ts';

export interface MailboxFolder {
  /** Folder path relative to DIR (posix separators). */
  dir: string;
  /** Upper-cased file name -> path relative to DIR. */
  files: Map<string, string>;
}

export interface EpostFiles {
  root: string;
  effect?: string;
  mailDat?: string;
  gateway?: string;
  alias?: string;
  accounts: string[];
  header?: string;
  hidden: { smtp?: string; pop3?: string; imap?: string };
  mailboxes: MailboxFolder[];
  lists: { key: string; file: string }[];
  /** Files the importer does not know (relative paths). */
  unknown: string[];
}

const SINGLE: Record<string, 'effect' | 'mailDat' | 'gateway' | 'alias' | 'header'> = {
  'effect.dat': 'effect', 'mail.dat': 'mailDat', 'gateway.dat': 'gateway', 'gateway.txt': 'gateway', 'gatewaytable.dat': 'gateway',
  'alias.txt': 'alias', 'aliases.txt': 'alias', 'alias.dat': 'alias', 'header.dat': 'header',
};
const HIDDEN: Record<string, 'smtp' | 'pop3' | 'imap'> = { 'hiddensmtpip.dat': 'smtp', 'hiddenpopip.dat': 'pop3', 'hiddenimapip.dat': 'imap' };
const LIST_DIRS = new Set(['lists', 'ml']);

function walk(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(root, p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

export function findEpostFiles(dir: string): EpostFiles {
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`${dir}: not a folder`);
  const all = walk(root);
  const found: EpostFiles = { root, accounts: [], hidden: {}, mailboxes: [], lists: [], unknown: [] };
  const mailboxDirs = new Set(all.filter((p) => path.posix.basename(p).toUpperCase() === 'IMS.CTL').map((p) => path.posix.dirname(p)));
  for (const p of all) {
    const base = path.posix.basename(p);
    const lower = base.toLowerCase();
    const parent = path.posix.dirname(p);
    if (mailboxDirs.has(parent)) {
      let box = found.mailboxes.find((m) => m.dir === parent);
      if (!box) found.mailboxes.push((box = { dir: parent, files: new Map() }));
      box.files.set(base.toUpperCase(), p);
    } else if (LIST_DIRS.has(path.posix.basename(parent).toLowerCase()) && lower.endsWith('.txt')) {
      found.lists.push({ key: base.slice(0, -4).toLowerCase(), file: p });
    } else if (parent === '.' && SINGLE[lower] && !found[SINGLE[lower]]) {
      found[SINGLE[lower]] = p;
    } else if (parent === '.' && HIDDEN[lower]) {
      found.hidden[HIDDEN[lower]] = p;
    } else if (parent === '.' && (lower.endsWith('.tsv') || lower === 'accounts.txt')) {
      found.accounts.push(p);
    } else found.unknown.push(p);
  }
  return found;
}
