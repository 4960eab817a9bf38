/** Finds an appliance plugin by name in plugins/<name>/index.ts. */
import fs from 'node:fs';
import type { PluginDefinition } from '../../core/plugin.ts';

const PLUGIN_ROOT = new URL('../../plugins/', import.meta.url);

export async function resolvePlugin(name: string): Promise<PluginDefinition> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error('plugin names are lower-case letters, digits and dashes');
  const file = new URL(`${name}/index.ts`, PLUGIN_ROOT);
  if (!fs.existsSync(file)) throw new Error(`no plugins/${name}/index.ts`);
  const mod = (await import(file.href)) as { default: PluginDefinition };
  return mod.default;
}
