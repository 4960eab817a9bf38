/**
 * The config a CLI command reads (lists, relay rules, …): --config FILE, else $MAILSERVER_CONFIG,
 * else the running commit of the data directory (`<dataDir>/config/mailserver.config.ts`, what
 * the appliance runs), else ./mailserver.config.ts, else the defaults.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../../core/config/load.ts';
import { configFileFrom } from '../environment.ts';
import { CONFIG_FILE } from '../config-repo/checkout.ts';

export function commandConfigFile(dataDir: string, given?: string): string | undefined {
  const file = configFileFrom(given);
  if (file) return file;
  const running = path.join(dataDir, 'config', CONFIG_FILE);
  return fs.existsSync(running) ? running : undefined;
}

export function loadCommandConfig(dataDir: string, given?: string): Promise<LoadedConfig> {
  return loadConfig(commandConfigFile(dataDir, given));
}
