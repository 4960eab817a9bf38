/**
 * The layer check: imports run one way, core ← policies ← plugins ← appliance.
 *   - core imports nothing from policies, plugins or appliance;
 *   - policies (pure rule logic) import only core;
 *   - a plugin imports core, policies and plugins/shared, never another plugin or the appliance.
 * Prints every import that runs the wrong way, a count per rule, and exits 1 if there is any.
 * Tests (*.test.ts) are held to the same rules as the code they sit beside.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface LayerViolation {
  file: string;
  line: number;
  target: string;
  rule: string;
}

/** `… from '…'` (also the last line of a multi-line import), a bare `import '…'`, and `import('…')`. */
const IMPORT = /\bfrom\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(ts|mts|mjs|js)$/.test(name)) out.push(path);
  }
  return out;
}

/** The layer of a repository-relative path, and for plugins the plugin's folder name. */
function layerOf(rel: string): { layer: string; plugin?: string } {
  const parts = rel.split(sep);
  if (parts[0] === 'plugins') return { layer: 'plugins', plugin: parts[1] };
  return { layer: parts[0] };
}

function ruleBroken(from: string, to: string): string | undefined {
  const a = layerOf(from);
  const b = layerOf(to);
  if (!['core', 'policies', 'plugins', 'appliance'].includes(b.layer)) return undefined;
  if (a.layer === 'core' && b.layer !== 'core') return `core imports ${b.layer}`;
  if (a.layer === 'policies' && (b.layer === 'plugins' || b.layer === 'appliance')) return `policies import ${b.layer}`;
  if (a.layer === 'plugins') {
    if (b.layer === 'appliance') return 'a plugin imports the appliance';
    if (b.layer === 'plugins' && b.plugin !== a.plugin && b.plugin !== 'shared') return 'a plugin imports another plugin';
  }
  return undefined;
}

export function checkLayers(root: string): LayerViolation[] {
  const found: LayerViolation[] = [];
  for (const top of ['core', 'policies', 'plugins']) {
    let files: string[];
    try {
      files = walk(join(root, top), []);
    } catch {
      continue;
    }
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2] ?? m[3];
        if (!spec.startsWith('.')) continue;
        const target = relative(root, resolve(dirname(file), spec));
        const rule = ruleBroken(relative(root, file), target);
        const line = text.slice(0, m.index).split('\n').length;
        if (rule) found.push({ file: relative(root, file), line, target, rule });
      }
    }
  }
  return found;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
  const found = checkLayers(root);
  for (const v of found) console.log(`${v.file}:${v.line}: ${v.rule}: ${v.target}`);
  const counts = new Map<string, number>();
  for (const v of found) counts.set(v.rule, (counts.get(v.rule) ?? 0) + 1);
  for (const [rule, n] of counts) console.log(`${n}× ${rule}`);
  console.log(found.length ? `${found.length} imports run the wrong way` : 'layers: every import runs one way (core ← policies ← plugins ← appliance)');
  process.exit(found.length ? 1 : 0);
}
