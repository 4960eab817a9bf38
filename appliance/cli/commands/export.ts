/**
 * mailserver export [--message M]
 *
 * CF-1: commits a snapshot of the runtime data that is not in mailserver.config.ts (domains,
 * accounts with password hashes, aliases, list members, runtime refused IPs, auto-reply state)
 * under data/ in the config repository (<dataDir>/config.git). Sorted text files, so `git diff`
 * between two exports shows what changed; no commit when nothing did. Safe while the appliance
 * runs (the store is SQLite in WAL mode). See appliance/config-repo/snapshot/format.ts.
 */
import { defineCommand, str } from '../command.ts';
import { withStore } from '../values.ts';
import { ConfigRepository, defaultAuthor } from '../../config-repo/repository.ts';
import { commitSnapshot } from '../../config-repo/snapshot/commit.ts';
import { embeddedListKeys, readSnapshot } from '../../config-repo/snapshot/read.ts';

export default defineCommand('export', {
  usage: 'export [--message M]',
  summary: 'commits a snapshot of the runtime data (accounts, lists, aliases, refused IPs) to the config repository',
  notes: ['Passwords are exported as their hashes, never in clear. APOP/CRAM-MD5 secrets are not exported:',
    'after a restore those accounts use USER/PASS and AUTH PLAIN/LOGIN until their password is set again.'],
  optionHelp: [['-m, --message M', 'the commit message (default: "export")']],
  options: { message: { type: 'string', short: 'm' } },
  positionals: [0, 0],
  async run({ values, ctx, dataDir }) {
    const snapshot = await withStore(dataDir, 'existing', (s) => readSnapshot(s, embeddedListKeys(dataDir)));
    const repo = await ConfigRepository.open(dataDir);
    const { oid, changed } = await commitSnapshot(repo, snapshot, str(values, 'message') ?? 'export', defaultAuthor());
    const counts = `${snapshot.domains.length} domain(s), ${snapshot.accounts.length} account(s), ${snapshot.aliases.length} alias(es), `
      + `${Object.keys(snapshot.lists).length} list(s), ${snapshot.refusedIps.length} refused IP(s)`;
    if (!oid) return void ctx.io.out(`nothing changed since the last export (${counts})`);
    ctx.io.out(`exported ${counts}: commit ${oid}`);
    for (const p of changed) ctx.io.out(`  ${p}`);
    const apop = snapshot.accounts.filter((a) => a.apop).length;
    if (apop) ctx.io.err(`note: ${apop} account(s) use APOP/CRAM-MD5; their secrets are not exported`);
  },
});
