/**
 * `mailserver import epost DIR`: the original's files become ONE commit of the config
 * repository — the generated mailserver.config.ts, the original files under epost/, and the data
 * snapshot (data/) of the runtime data the import loaded into the store (domains, accounts,
 * aliases, list members, auto-reply state).
 *
 * Order: find and translate everything first (a bad account file stops here, before anything is
 * written); check that the generated config loads and validates; load the runtime data; commit.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../core/config/load.ts';
import type { Stores } from '../../../core/store/ports.ts';
import { importAccounts } from '../../cli/commands/account-file.ts';
import { ConfigRepository, type CommitAuthor } from '../../config-repo/repository.ts';
import { checkoutFiles, CONFIG_FILE } from '../../config-repo/checkout.ts';
import { formatSnapshot, isSnapshotPath } from '../../config-repo/snapshot/format.ts';
import { readSnapshot } from '../../config-repo/snapshot/read.ts';
import { findEpostFiles } from './files.ts';
import { translateEpost, type EpostTranslation } from './translate.ts';
import { renderEpostConfig } from './generate-config.ts';

export { CONFIG_FILE };

export interface EpostImportResult {
  commit: string;
  translation: EpostTranslation;
  accounts: { added: number; updated: number };
  config: string;
}

/** Loads and validates a generated config next to the files it references (a scratch checkout). */
export async function checkGeneratedConfig(config: string, copies: Record<string, Buffer>): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mailserver-import-'));
  const dir = path.join(scratch, 'checkout');
  try {
    checkoutFiles({ ...copies, [CONFIG_FILE]: Buffer.from(config) }, dir);
    await loadConfig(path.join(dir, CONFIG_FILE));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function loadRuntime(stores: Stores, t: EpostTranslation): Promise<{ added: number; updated: number }> {
  for (const d of t.domains) if (!(await stores.domains.get(d))) await stores.domains.create({ name: d });
  const counts = { added: 0, updated: 0 };
  for (const a of t.accounts) {
    const r = await importAccounts(stores, a.file, { update: true });
    counts.added += r.added;
    counts.updated += r.updated;
  }
  const existing = new Set((await stores.aliases.list()).map((a) => a.alias));
  for (const { rule } of t.aliases) {
    if (existing.has(rule.alias.toLowerCase())) await stores.aliases.delete(rule.alias);
    await stores.aliases.add(rule);
  }
  if (stores.lists) for (const l of t.lists) await stores.lists.replaceMembers(l.key, l.members);
  for (const r of t.replied) {
    const account = await stores.accounts.get(r.address);
    if (!account) {
      t.untranslated.push(`${r.source.file}: no account ${r.address}; replied addresses not recorded: ${r.addresses.join(', ')}`);
      continue;
    }
    for (const a of r.addresses) await stores.autoreply.claimReply(account.id, a, { now: r.when, periodMs: 0, record: true, neverAgain: false });
  }
  return counts;
}

export function commitMessage(dir: string, t: EpostTranslation, accounts: { added: number; updated: number }): string {
  const lines = [`import epost ${dir}`, ''];
  lines.push(`Imported from ${dir}: ${accounts.added} account(s) added, ${accounts.updated} updated, ${t.aliases.length} alias(es), `
    + `${t.lists.length} list(s), ${t.autoreply.length} auto-reply account(s), ${t.effect?.rules ?? 0} relay rule(s), ${t.mailfilter?.rules ?? 0} filter rule(s).`);
  if (t.notes.length) lines.push('', 'Notes:', ...t.notes.map((n) => `- ${n}`));
  lines.push('', t.untranslated.length ? 'Not translated:' : 'Everything was translated.', ...t.untranslated.map((u) => `- ${u}`));
  return lines.join('\n');
}

export async function importEpost(opts: { dir: string; dataDir: string; stores: Stores; listKeys: () => string[]; author: CommitAuthor }): Promise<EpostImportResult> {
  const t = translateEpost(findEpostFiles(opts.dir));
  const config = renderEpostConfig(t, { dir: opts.dir });
  await checkGeneratedConfig(config, t.copies);
  const accounts = await loadRuntime(opts.stores, t);
  const data = formatSnapshot(await readSnapshot(opts.stores, opts.listKeys()));
  const repo = await ConfigRepository.open(opts.dataDir);
  // the import replaces the config, the epost/ copies and the data snapshot; anything else stays
  const changes: Record<string, string | Buffer | null> = { [CONFIG_FILE]: config, ...t.copies, ...data };
  for (const p of Object.keys(await repo.files('HEAD'))) {
    if (!(p in changes) && (p.startsWith('epost/') || isSnapshotPath(p))) changes[p] = null;
  }
  const commit = await repo.commit(changes, commitMessage(opts.dir, t, accounts), opts.author);
  return { commit, translation: t, accounts, config };
}
