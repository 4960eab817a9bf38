/**
 * Finds a Haraka plugin by the name an operator writes in Haraka's `config/plugins`:
 *   1. a path (`./x.js`, `/abs/x.js`, a folder with package.json);
 *   2. `<dir>/<name>.js` or `<dir>/<name>/package.json` in the inheriting plugin's folder, then in
 *      `pluginDir` (Haraka's `<install>/plugins`);
 *   3. the npm package `haraka-plugin-<name>`, then `<name>`, resolved from the repository root.
 * The plugin's name is the short one Haraka uses: `haraka-plugin-access` is `access`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { requireFromRoot } from './modules.ts';

export interface ResolvedPlugin {
  /** Short name (results, logs, transaction.notes.skip_plugins use it). */
  name: string;
  /** 'package': required and its exports copied; 'file': run in a vm sandbox like Haraka's plugins/*.js. */
  kind: 'package' | 'file';
  /** The .js file, or the package's main module. */
  file: string;
  /** The package folder (its config/ holds the defaults), or the .js file's folder. */
  dir: string;
}

const isFile = (p: string): boolean => fs.statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;

/** haraka-plugin-access -> access, @scope/haraka-plugin-x -> x, ./dir/foo.js -> foo */
export function shortName(spec: string): string {
  const base = spec.startsWith('@') ? spec.slice(spec.indexOf('/') + 1) : spec;
  return path.basename(base, '.js').replace(/^haraka-plugin-/, '');
}

function packageAt(dir: string, name: string): ResolvedPlugin | undefined {
  if (!isFile(path.join(dir, 'package.json'))) return undefined;
  return { name, kind: 'package', file: requireFromRoot.resolve(path.resolve(dir)), dir: path.resolve(dir) };
}

function packageDirOf(main: string): string {
  let dir = path.dirname(main);
  while (!isFile(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export function resolveHarakaPlugin(spec: string, opts: { pluginDir?: string; fromDir?: string } = {}): ResolvedPlugin {
  const tried: string[] = [];
  const looksLikePath = path.isAbsolute(spec) || spec.startsWith('./') || spec.startsWith('../') || spec.endsWith('.js');
  if (looksLikePath) {
    const p = path.resolve(spec);
    if (isFile(p)) return { name: shortName(p), kind: 'file', file: p, dir: path.dirname(p) };
    const pkg = packageAt(p, shortName(p));
    if (pkg) return pkg;
    throw new Error(`Haraka plugin "${spec}" not found at ${p}`);
  }
  for (const dir of [opts.fromDir, opts.pluginDir]) {
    if (!dir) continue;
    const file = path.resolve(dir, `${spec}.js`);
    tried.push(file);
    if (isFile(file)) return { name: shortName(spec), kind: 'file', file, dir: path.dirname(file) };
    const pkg = packageAt(path.resolve(dir, spec), shortName(spec));
    tried.push(path.resolve(dir, spec, 'package.json'));
    if (pkg) return pkg;
  }
  const candidates = spec.startsWith('@') || spec.startsWith('haraka-plugin-') ? [spec] : [`haraka-plugin-${spec}`, spec];
  for (const pkgName of candidates) {
    tried.push(`npm package ${pkgName}`);
    let main: string;
    try {
      main = requireFromRoot.resolve(pkgName);
    } catch {
      continue;
    }
    return { name: shortName(pkgName), kind: 'package', file: main, dir: packageDirOf(main) };
  }
  throw new Error(`Haraka plugin "${spec}" not found (tried ${tried.join(', ')})`);
}
