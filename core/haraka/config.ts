/**
 * A haraka-config instance for one plugin. As in Haraka, a packaged plugin's own `config/`
 * folder holds the defaults and the operator's config directory overrides them (ini/json/yaml
 * key by key, flat files as a whole). A plain .js plugin reads the operator's directory only.
 *
 * `configDir` is the folder holding the files themselves (Haraka's `<install>/config`).
 */
import path from 'node:path';
import { harakaConfig, type HarakaConfig } from './modules.ts';

export function pluginConfig(configDir: string, packageDir?: string): HarakaConfig {
  // module_config() appends 'config' to both paths and honours HARAKA_TEST_DIR; the paths are
  // set afterwards so the operator's directory is used as given.
  const cfg = harakaConfig.module_config(packageDir ?? configDir);
  if (packageDir) {
    cfg.root_path = path.join(packageDir, 'config');
    cfg.overrides_path = path.resolve(configDir);
  } else {
    cfg.root_path = path.resolve(configDir);
    cfg.overrides_path = undefined;
  }
  return cfg;
}

/** The plugin names of Haraka's `config/plugins` list file in `configDir` (comments and blanks skipped). */
export function harakaPluginList(configDir: string): string[] {
  return (pluginConfig(configDir).get('plugins', 'list') as string[]).map((s) => s.trim()).filter(Boolean);
}
