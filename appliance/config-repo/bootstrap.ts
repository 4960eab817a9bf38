/**
 * Start-up from the config repository (`mailserver start`): the running config is the
 * repository's HEAD, checked out into `<dataDir>/checkouts/<commit>/` (`<dataDir>/config` links to
 * it) and loaded from there.
 *
 * The first start (an empty repository) commits the operator's config file (and the sibling
 * modules it imports) as "initial config", or the all-defaults config when there is none. Later
 * the repository wins: a local config file that differs from HEAD gets a warning naming both
 * files, and `mailserver config import-file FILE` commits it.
 */
// `<dataDir>/config` is a symlink to the running checkout: read it, never edit it (see README)
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../core/config/load.ts';
import type { Logger } from '../../core/log.ts';
import { ConfigRepository, defaultAuthor } from './repository.ts';
import { CONFIG_FILE, checkoutFiles, commitDir, markRunning } from './checkout.ts';
import { DEFAULT_CONFIG_SOURCE, collectConfigFiles } from './config-files.ts';
import { configFileFrom } from '../environment.ts';

/** The operator's config file: the one given, $MAILSERVER_CONFIG, or ./mailserver.config.ts if present. */
export function operatorConfigFile(given?: string): string | null {
  const file = configFileFrom(given) ?? (fs.existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined);
  return file ? path.resolve(file) : null;
}

export interface RepositoryStart {
  repo: ConfigRepository;
  /** The commit the appliance starts on. */
  head: string;
  /** `<dataDir>/config/mailserver.config.ts` (the link to the running checkout), to load. */
  configFile: string;
}

export async function prepareRepositoryConfig(opts: { dataDir: string; configFile?: string; log: Logger; repo?: ConfigRepository }): Promise<RepositoryStart> {
  const repo = opts.repo ?? (await ConfigRepository.open(opts.dataDir));
  const local = operatorConfigFile(opts.configFile);
  let head = await repo.head();
  // a repository without a config yet (empty, or only runtime data committed by an export or the
  // refused-IP history) gets the operator's config on top
  if (!head || !(await repo.read(CONFIG_FILE))) {
    // never commit a config that cannot start: the operator sees its problems against their own file
    if (local) await loadConfig(local);
    const files = local ? collectConfigFiles(local) : { [CONFIG_FILE]: Buffer.from(DEFAULT_CONFIG_SOURCE) };
    head = await repo.commit(files, local ? `initial config\n\nfrom ${local}` : 'initial config (defaults)', defaultAuthor());
    opts.log.info({ commit: head, from: local ?? '(defaults)', files: Object.keys(files) }, 'config repository created');
  } else if (local) {
    const ours = collectConfigFiles(local)[CONFIG_FILE]!;
    const theirs = await repo.read(CONFIG_FILE);
    if (!theirs || !ours.equals(theirs)) {
      opts.log.warn(
        { local, repository: repo.gitdir, head },
        `${local} differs from ${CONFIG_FILE} in the config repository ${repo.gitdir}; the repository wins. ` +
          `Push the change, or commit the local file with: mailserver config import-file ${local}`,
      );
    }
  }
  const dir = commitDir(opts.dataDir, head);
  checkoutFiles(await repo.files(head), dir);
  markRunning(opts.dataDir, head);
  // through the `<dataDir>/config` link: whoever loads it again (SIGHUP) gets the running commit,
  // and Node caches the modules by their real path, checkouts/<commit>/
  return { repo, head, configFile: path.join(opts.dataDir, 'config', CONFIG_FILE) };
}
