/**
 * Finds (cosmiconfig), loads and validates mailserver.config.ts. A bad config stops start-up
 * with every error's path and expectation, never a stack trace.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cosmiconfig } from 'cosmiconfig';
import { Value } from '@sinclair/typebox/value';
import { AppConfigSchema, type AppConfig } from './schema.ts';
import { ConfigError } from '../errors.ts';

async function importModule(file: string): Promise<unknown> {
  // the real path, resolved now: Node's ESM resolver caches symlink targets for the life of the
  // process, and `<dataDir>/config` is a link that moves to each newly applied commit
  const mod = (await import(pathToFileURL(fs.realpathSync(file)).href + `?t=${Date.now()}`)) as { default?: unknown };
  return mod.default ?? mod;
}

/** `/smtp/listen/0` -> `smtp.listen[0]` */
export function jsonPointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`))
    .join('')
    .replace(/^\./, '');
}

/** Applies defaults and validates a plain object; throws ConfigError listing every problem. */
export function validateConfig(input: unknown, source = 'config'): AppConfig {
  if (typeof input !== 'object' || input === null) {
    throw new ConfigError(source, [{ path: '', message: 'expected an object (export default defineConfig({...}))' }]);
  }
  const withDefaults = Value.Default(AppConfigSchema, structuredClone(input));
  const problems = [...Value.Errors(AppConfigSchema, withDefaults)].map((e) => {
    // a pattern means little to an operator: say what the setting is instead
    const described = (e.schema as { description?: string; pattern?: string }).pattern && e.schema.description;
    const expected = described ? `expected ${e.schema.description}` : e.message;
    const got = e.value !== undefined && typeof e.value !== 'object' ? ` (got ${JSON.stringify(e.value)})` : '';
    return { path: jsonPointerToPath(e.path), message: expected + got };
  });
  // unions report once per branch; keep one line per path+message
  const unique = [...new Map(problems.map((p) => [`${p.path}|${p.message}`, p])).values()];
  if (unique.length) throw new ConfigError(source, unique);
  return withDefaults as AppConfig;
}

export interface LoadedConfig {
  config: AppConfig;
  file: string | null;
}

/** Loads the config at `file`, or searches for mailserver.config.{ts,js,mjs,json} from cwd. */
export async function loadConfig(file?: string): Promise<LoadedConfig> {
  const explorer = cosmiconfig('mailserver', {
    searchPlaces: ['mailserver.config.ts', 'mailserver.config.mjs', 'mailserver.config.js', 'mailserver.config.json'],
    loaders: { '.ts': importModule, '.mjs': importModule, '.js': importModule },
    searchStrategy: 'none',
  });
  let result;
  try {
    result = file ? await explorer.load(path.resolve(file)) : await explorer.search(process.cwd());
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new ConfigError(file ?? 'mailserver.config.ts', [{ path: '', message: 'file not found' }]);
    throw new ConfigError(file ?? 'mailserver.config.ts', [{ path: '', message: `cannot load: ${e.message.split('\n')[0]}` }]);
  }
  if (!result) return { config: validateConfig({}, 'defaults'), file: null };
  return { config: validateConfig(result.config, result.filepath), file: result.filepath };
}
