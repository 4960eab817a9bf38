import type { UserConfig } from './schema.ts';

/** Typed identity for mailserver.config.ts: `export default defineConfig({ ... })`. */
export function defineConfig(config: UserConfig): UserConfig {
  return config;
}
