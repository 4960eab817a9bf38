/**
 * The files of an operator's config file that go into the repository: the file itself (as
 * mailserver.config.ts) and the sibling modules it imports with a relative path (`./policies.ts`,
 * found by reading its import statements, recursively). An import of this appliance's own
 * core/index.ts by path (the shipped example's `./core/index.ts`) becomes `'mailserver'`, which
 * resolves in every checkout (checkout.ts links it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { APPLIANCE_ROOT, CONFIG_FILE } from './checkout.ts';

const PATH_LITERAL_RE = /(['"])(\.\/[^'"\n]+)\1/g;
const MAX_DIR_FILES = 200;
const IMPORT_RE = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"]+)\2/g;
const EXTENSIONS = ['', '.ts', '.mts', '.js', '.mjs', '.json'];
const CORE_INDEX = path.join(APPLIANCE_ROOT, 'core', 'index.ts');

function resolveRelative(fromFile: string, spec: string): string | null {
  for (const ext of EXTENSIONS) {
    const full = path.resolve(path.dirname(fromFile), spec + ext);
    if (fs.existsSync(full) && fs.statSync(full).isFile()) return full;
  }
  return null;
}

/** Repository path -> contents for `file` and what it imports from its own directory tree. */
export function collectConfigFiles(file: string): Record<string, Buffer> {
  const main = path.resolve(file);
  const root = path.dirname(main);
  const out: Record<string, Buffer> = {};
  const visit = (full: string, repoPath: string) => {
    if (repoPath in out) return;
    let text = fs.readFileSync(full, 'utf8');
    const siblings: [string, string][] = [];
    text = text.replace(IMPORT_RE, (whole, lead: string, quote: string, spec: string) => {
      if (!spec.startsWith('.') && !path.isAbsolute(spec)) return whole;
      const target = spec.startsWith('.') ? resolveRelative(full, spec) : resolveRelative(full, path.relative(path.dirname(full), spec) || '.');
      if (!target) return whole;
      if (target === CORE_INDEX) return `${lead}${quote}mailserver${quote}`;
      const rel = path.relative(root, target);
      if (!rel.startsWith('..') && !path.isAbsolute(rel) && !rel.split(path.sep).includes('node_modules')) {
        siblings.push([target, rel.split(path.sep).join('/')]);
      }
      return whole;
    });
    out[repoPath] = Buffer.from(text);
    for (const [t, p] of siblings) visit(t, p);
    for (const m of text.matchAll(PATH_LITERAL_RE)) addData(path.resolve(path.dirname(full), m[2]!));
  };
  // a data file or directory the config names (not a module): copied as it is
  const addData = (target: string) => {
    const rel = path.relative(root, target);
    if (rel.startsWith('..') || path.isAbsolute(rel) || !rel || rel.split(path.sep).includes('node_modules') || !fs.existsSync(target)) return;
    const repoPath = rel.split(path.sep).join('/');
    if (repoPath in out || repoPath === CONFIG_FILE) return;
    const stat = fs.statSync(target);
    if (stat.isFile()) {
      if (/\.(ts|mts|js|mjs)$/.test(target)) visit(target, repoPath);
      else out[repoPath] = fs.readFileSync(target);
    } else if (stat.isDirectory()) {
      const entries = fs.readdirSync(target, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).slice(0, MAX_DIR_FILES);
      for (const e of entries) addData(path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
    }
  };
  visit(main, CONFIG_FILE);
  return out;
}

/** The config committed when the operator started without one: every setting at its default. */
export const DEFAULT_CONFIG_SOURCE = `/**
 * The appliance's configuration (committed by the first start; every setting at its default).
 * Edit, commit and push: see README "Config as code".
 */
import { defineConfig } from 'mailserver';

export default defineConfig({});
`;

/** Every file of a work tree (a clone), without .git and node_modules: what a push would send. */
export function collectTree(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    const rel = path.relative(dir, full).split(path.sep);
    if (rel[0] === '.git' || rel.includes('node_modules')) continue;
    out[rel.join('/')] = fs.readFileSync(full);
  }
  return out;
}
