/**
 * Start-up step 1: where the config comes from — an object (tests), the operator's file, or the
 * config repository's HEAD (after taking the cluster's newest commit, for a node that shares its
 * config over PostgreSQL). The data directory is made the appliance's alone first.
 */
import path from 'node:path';
import type { AppConfig } from '../../core/config/schema.ts';
import { createLogger, type Logger } from '../../core/log.ts';
import { restrictUmask, secureDataDir } from '../store/data-dir-permissions.ts';
import { prepareRepositoryConfig, type RepositoryStart } from '../config-repo/bootstrap.ts';
import { adoptClusterConfigAtStart } from '../cluster/config-sync.ts';
import { ConfigRepository } from '../config-repo/repository.ts';
import { dataDirFrom } from '../environment.ts';
import type { StartOptions } from '../start.ts';
import type { WorkerContext } from '../workers/worker-context.ts';

export interface ConfigSource {
  dataDir: string;
  /** Given as an object: nothing is loaded. */
  config?: AppConfig;
  /** The file to load (undefined: $MAILSERVER_CONFIG, ./mailserver.config.ts, else the defaults). */
  configFile?: string;
  /** The config repository, when the config is its HEAD. */
  repository: RepositoryStart | null;
  /** What secureDataDir changed, said once the logger is set up. */
  tightened: ReturnType<typeof secureDataDir>;
  /** This process is one of a node's workers. */
  worker?: WorkerContext;
}

export async function resolveConfigSource(opts: StartOptions): Promise<ConfigSource> {
  // the data directory is the appliance's alone (appliance/store/data-dir-permissions.ts)
  restrictUmask();
  const dataDir = path.resolve(opts.dataDir ?? dataDirFrom());
  const worker = opts.worker;
  // a worker other than the lead runs the config file the lead runs; the lead did the rest
  if (worker && !worker.lead) return { dataDir, configFile: worker.configFile ?? opts.configFile, repository: null, tightened: null, worker };
  const tightened = secureDataDir(dataDir);
  if (opts.config) return { dataDir, config: opts.config, repository: null, tightened, worker };
  if (!opts.configRepository) return { dataDir, configFile: opts.configFile, repository: null, tightened, worker };
  const log: Logger = opts.log ?? createLogger({});
  const repo = await ConfigRepository.open(dataDir);
  // a node sharing its config over PostgreSQL first takes the cluster's newest commit
  await adoptClusterConfigAtStart({ repo, dataDir, configFile: opts.configFile, log });
  // then runs the repository's HEAD, checked out under the data directory
  const repository = await prepareRepositoryConfig({ repo, dataDir, configFile: opts.configFile, log });
  return { dataDir, configFile: repository.configFile, repository, tightened, worker };
}
