/**
 * mailserver restore REV [--from REPO] [--prune]
 *
 * CF-1: brings config and data back to commit REV of the config repository: a new commit
 * "restore REV" whose tree is REV's becomes HEAD (history is kept), and REV's data snapshot
 * (data/) is loaded into the store. --from fetches another repository first (a path or URL git
 * understands: a copy of an exported repository, the config.git of another appliance), so a
 * fresh, empty data directory can be restored. When an appliance runs on the data directory, it
 * checks and applies REV's config first (its rollback: the commit is then "rollback to REV").
 *
 * What "brought back" means for the store (appliance/config-repo/snapshot/apply.ts): accounts,
 * domains, aliases, list members and refused IPs become the snapshot's; accounts and domains the
 * snapshot does not have are kept and listed (deleting them deletes their mailboxes) unless
 * --prune.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { UsageError } from '../../../core/errors.ts';
import { defineCommand, flag, str } from '../command.ts';
import { ConfigRepository, RevisionError, defaultAuthor } from '../../config-repo/repository.ts';
import { parseSnapshot, SnapshotError } from '../../config-repo/snapshot/format.ts';
import { applySnapshot } from '../../config-repo/snapshot/apply.ts';
import { embeddedListKeys } from '../../config-repo/snapshot/read.ts';
import { openEmbeddedStore } from '../../store/embedded/index.ts';
import { askAppliance } from '../../config-repo/control.ts';

const run = promisify(execFile);
const FETCHED = 'refs/restore/from';

async function git(args: string[]): Promise<void> {
  try {
    await run('git', args, { timeout: 120_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new UsageError(`git ${args[0] === '--git-dir' ? args[2] : args[0]} failed: ${(e.stderr || e.message).trim().split('\n').slice(-2).join('; ')}`);
  }
}

/** Brings the commits of `from` into <dataDir>/config.git; returns the ref that names its HEAD. */
async function fetchFrom(from: string, dataDir: string): Promise<string> {
  const gitdir = path.join(dataDir, 'config.git');
  const source = fs.existsSync(from) ? path.resolve(from) : from;
  if (!fs.existsSync(path.join(gitdir, 'HEAD'))) {
    fs.mkdirSync(dataDir, { recursive: true });
    await git(['clone', '--bare', '--quiet', source, gitdir]);
    // the appliance's branch is main, whatever the source's default branch was
    await git(['--git-dir', gitdir, 'symbolic-ref', 'HEAD', 'refs/heads/main']);
    await ConfigRepository.open(dataDir);
    for (const [k, v] of [['receive.denyNonFastForwards', 'true'], ['receive.denyDeletes', 'true'], ['http.receivepack', 'true']]) {
      await git(['--git-dir', gitdir, 'config', k, v]);
    }
  }
  await git(['--git-dir', gitdir, 'fetch', '--quiet', source, `+HEAD:${FETCHED}`]);
  // a repository whose branch was not main: its history becomes main's, so the restore continues it
  if (!(await (await ConfigRepository.open(dataDir)).head())) await git(['--git-dir', gitdir, 'update-ref', 'refs/heads/main', FETCHED]);
  return FETCHED;
}

export default defineCommand('restore', {
  usage: 'restore REV [--from REPO] [--prune]',
  summary: 'brings config and data back to commit REV (a new commit; the data snapshot is loaded into the store)',
  notes: ['REV: a commit (full or abbreviated), HEAD, HEAD~N. With --from, HEAD means the fetched repository\'s HEAD.',
    'Accounts and domains not in the snapshot are kept (their mailboxes too) and listed; --prune deletes them.',
    'APOP/CRAM-MD5 secrets are not in a snapshot: such accounts get them back when their password is set.'],
  optionHelp: [['--from REPO', 'fetch this repository (path or URL) first; it may be the only one (fresh data directory)'],
    ['--prune', 'delete accounts and domains that are not in the snapshot (with their mail)']],
  options: { from: { type: 'string' }, prune: { type: 'boolean' } },
  positionals: [1, 1],
  async run({ positionals, values, ctx, dataDir }) {
    const rev = positionals[0];
    const from = str(values, 'from');
    if (!from && !fs.existsSync(path.join(dataDir, 'config.git', 'HEAD'))) {
      throw new UsageError(`no config repository in ${dataDir}: pass --from REPO to restore from another repository`);
    }
    const fetched = from ? await fetchFrom(from, dataDir) : null;
    const repo = await ConfigRepository.open(dataDir);
    let oid: string;
    let files: Record<string, Buffer>;
    let snapshot;
    try {
      oid = await repo.resolve(fetched && /^(HEAD|main)$/.test(rev) ? fetched : rev);
      files = await repo.files(oid);
      snapshot = parseSnapshot(files);
    } catch (err) {
      if (err instanceof RevisionError || err instanceof SnapshotError) throw new UsageError(`restore ${rev}: ${err.message}`);
      throw err;
    }
    if (!files['mailserver.config.ts']) ctx.io.err(`note: ${oid.slice(0, 7)} has no mailserver.config.ts`);
    // an appliance running on this data directory checks and applies the config first (as a
    // rollback); when it refuses, nothing is restored
    const answer = files['mailserver.config.ts']
      ? await askAppliance(dataDir, { op: 'rollback', rev: oid, author: defaultAuthor() }, (line) => ctx.io.out(line))
      : null;
    if (answer && !answer.ok) throw new UsageError(`restore ${rev}: the running appliance refused the config of ${oid.slice(0, 7)}; nothing restored`);
    const commit = answer?.oid
      ?? await repo.commitTree(files, `restore ${rev}\n\nThe config and data of ${oid}${from ? ` (from ${from})` : ''}.`, defaultAuthor());
    const stores = openEmbeddedStore(dataDir);
    let report;
    try {
      report = await applySnapshot(stores, snapshot, { prune: flag(values, 'prune'), listKeys: embeddedListKeys(dataDir) });
    } finally {
      await stores.close();
    }
    ctx.io.out(`restored ${oid.slice(0, 7)} as commit ${commit}`);
    ctx.io.out(`  domains: ${report.domains.created} created, ${report.domains.updated} updated; accounts: ${report.accounts.created} created, ${report.accounts.updated} updated`);
    ctx.io.out(`  aliases: ${report.aliases}; lists: ${Object.entries(report.lists).map(([k, n]) => `${k} (${n})`).join(', ') || 'none'}; refused IPs: ${report.refusedIps}`);
    if (report.extraAccounts.length) ctx.io.out(`  ${report.pruned ? 'deleted' : 'kept (not in the snapshot; --prune deletes)'}: ${report.extraAccounts.join(', ')}`);
    if (report.extraDomains.length) ctx.io.out(`  domains ${report.pruned ? 'deleted' : 'kept'}: ${report.extraDomains.join(', ')}`);
    if (report.apopWithoutSecret.length) ctx.io.err(`note: no APOP/CRAM-MD5 secret in a snapshot for ${report.apopWithoutSecret.join(', ')} (set the password again)`);
  },
});
