/**
 * CF-2: what a node runs — the build (package.json version plus the git commit of the checkout,
 * when it is one) and the config (the config repository's HEAD when there is one, else a hash
 * of the effective config, so two nodes on the same settings show the same value).
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppConfig } from '../../core/config/schema.ts';
import { clusterIdOf } from './config-sync-state.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let cachedBuild: string | null = null;

/** `0.1.0+5308c83` (version, then the checkout's short commit when git can tell; `-dirty` with local changes). */
export function buildVersion(): string {
  if (cachedBuild) return cachedBuild;
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  let commit = '';
  try {
    commit = execFileSync('git', ['-C', ROOT, 'describe', '--always', '--dirty', '--abbrev=7', '--match', 'NO-TAGS'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch { /* not a checkout, or no git: the version alone */ }
  cachedBuild = commit ? `${pkg.version}+${commit}` : pkg.version;
  return cachedBuild;
}

/** Reads refs/heads/main of <dataDir>/config.git without loading git (loose ref, then packed-refs). */
function repositoryHead(dataDir: string): string | null {
  const gitdir = path.join(dataDir, 'config.git');
  try {
    return fs.readFileSync(path.join(gitdir, 'refs', 'heads', 'main'), 'utf8').trim() || null;
  } catch { /* maybe packed */ }
  try {
    const line = fs.readFileSync(path.join(gitdir, 'packed-refs'), 'utf8').split('\n').find((l) => l.endsWith(' refs/heads/main'));
    return line ? line.split(' ')[0] : null;
  } catch {
    return null;
  }
}

/**
 * The config commit a node runs (12 hex digits): the repository's HEAD, as its cluster-wide id
 * when it came from another node; without a repository `cfg:` +
 * a hash of the config.
 */
export function configVersion(dataDir: string, config: AppConfig): string {
  const head = repositoryHead(dataDir);
  if (head) return clusterIdOf(dataDir, head).slice(0, 12);
  const hash = crypto.createHash('sha256').update(JSON.stringify(config)).digest('hex');
  return `cfg:${hash.slice(0, 12)}`;
}
