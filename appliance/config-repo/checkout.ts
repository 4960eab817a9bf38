/**
 * Writes a commit's files into the directory its config is loaded from:
 * `<dataDir>/checkouts/<commit>/`, one per commit, because Node caches an imported module by its
 * path: a changed `./policies.ts` must get a new path to be loaded again. `<dataDir>/config` is a
 * symlink to the running one, for the operator to look at. Each checkout also gets
 * `node_modules/mailserver` -> this appliance, so a config imports the typed helpers as
 * `import { defineConfig } from 'mailserver'` wherever the data directory is, and a
 * package.json making its .ts files ES modules.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The appliance's own root directory (this file is appliance/config-repo/checkout.ts). */
export const APPLIANCE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The file the appliance loads from a checkout. */
export const CONFIG_FILE = 'mailserver.config.ts';

/** `dir` holds exactly these files already (a restart on the same commit writes nothing: a full disk still starts). */
function sameCheckout(files: Record<string, Buffer>, dir: string): boolean {
  try {
    return fs.existsSync(path.join(dir, 'node_modules', 'mailserver'))
      && Object.entries(files).every(([p, content]) => fs.readFileSync(path.join(dir, p)).equals(content));
  } catch {
    return false;
  }
}

/** Replaces `dir`'s contents with `files` (repository paths -> contents). */
export function checkoutFiles(files: Record<string, Buffer>, dir: string): void {
  if (sameCheckout(files, dir)) return;
  try {
    writeCheckout(files, dir);
  } catch (err) {
    // fs.writeFileSync's ENOSPC names no file: say which checkout could not be written
    const e = err as NodeJS.ErrnoException;
    if (e.code && !e.message.includes(dir)) e.message = `${e.message} (writing the config checkout ${dir})`;
    throw e;
  }
}

function writeCheckout(files: Record<string, Buffer>, dir: string): void {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
  for (const [p, content] of Object.entries(files)) {
    const full = path.join(tmp, p);
    if (!full.startsWith(tmp + path.sep)) throw new Error(`config repository path escapes the checkout: ${p}`);
    fs.mkdirSync(path.dirname(full), { recursive: true, mode: 0o700 });
    fs.writeFileSync(full, content, { mode: 0o600 });
  }
  linkPackage(tmp);
  // swap in whole: a reader never sees half of one commit and half of another
  const old = `${dir}.old-${process.pid}-${Date.now()}`;
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(tmp, dir);
  fs.rmSync(old, { recursive: true, force: true });
}

/** The checkout directory of one commit. */
export function commitDir(dataDir: string, oid: string): string {
  return path.join(dataDir, 'checkouts', oid);
}

/** Points `<dataDir>/config` at the running commit's checkout and removes checkouts older than the last `keep`. */
export function markRunning(dataDir: string, oid: string, keep = 3): void {
  const link = path.join(dataDir, 'config');
  const tmp = `${link}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(path.join('checkouts', oid), tmp, 'dir');
  fs.renameSync(tmp, link);
  const root = path.join(dataDir, 'checkouts');
  const dirs = fs.readdirSync(root).map((name) => ({ name, mtime: fs.statSync(path.join(root, name)).mtimeMs })).sort((a, b) => b.mtime - a.mtime);
  for (const d of dirs.slice(keep)) if (d.name !== oid) fs.rmSync(path.join(root, d.name), { recursive: true, force: true });
}

/** `dir/node_modules/mailserver` -> the appliance and `dir/package.json` (unless the repository brings its own). */
export function linkPackage(dir: string): void {
  const pkg = path.join(dir, 'package.json');
  if (!fs.existsSync(pkg)) fs.writeFileSync(pkg, '{ "private": true, "type": "module" }\n', { mode: 0o600 });
  const link = path.join(dir, 'node_modules', 'mailserver');
  if (fs.existsSync(link)) return;
  fs.mkdirSync(path.dirname(link), { recursive: true, mode: 0o700 });
  fs.symlinkSync(APPLIANCE_ROOT, link, 'dir');
}
