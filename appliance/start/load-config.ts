/**
 * Start-up step 2: the config loaded and checked against the schema, the logger at its level,
 * and the disk made ready (on a full disk the reserve file is released so the store can open).
 */
import path from 'node:path';
import { loadConfig } from '../../core/config/load.ts';
import type { AppConfig } from '../../core/config/schema.ts';
import { createLogger, type Logger } from '../../core/log.ts';
import { prepareDiskAtStart } from '../store/disk-space.ts';
import { configFileFrom } from '../environment.ts';
import type { ConfigSource } from './config-source.ts';

export interface LoadedConfig {
  source: ConfigSource;
  config: AppConfig;
  /** The file it came from (null: an object, or the built-in defaults). */
  file: string | null;
  /** Where the config's relative paths are found. */
  configDir: string;
  log: Logger;
  /** True when the caller gave the logger (its level is then not the config's to set). */
  ownLogger: boolean;
}

export async function loadStartConfig(source: ConfigSource, given?: Logger): Promise<LoadedConfig> {
  const { config, file } = source.config ? { config: source.config, file: null } : await loadConfig(configFileFrom(source.configFile));
  const log = given ?? createLogger({ level: config.log.level });
  const { dataDir, tightened } = source;
  log.info({ config: file ?? '(defaults)', dataDir }, 'starting');
  if (tightened && tightened.dirs + tightened.files > 0) {
    log.warn({ dataDir, ...tightened }, `data directory permissions tightened: removed group/other access from ${tightened.dirs} directories and ${tightened.files} files under ${dataDir} (now 0700/0600)`);
  }
  await prepareDiskAtStart(dataDir, config.smtp.queueMinFreeBytes, log);
  return { source, config, file, configDir: file ? path.dirname(file) : process.cwd(), log, ownLogger: !given };
}
