/**
 * The data directory holds every password hash, APOP secret, private key and message: it is the
 * appliance's alone. The process runs with umask 077 (so files made by libraries — SQLite's WAL,
 * isomorphic-git's objects, git http-backend — come out 0600/0700 too), the files the appliance
 * makes itself carry explicit modes, and an install made before this (directories 0755, files
 * 0644) is tightened once at start: every directory and file under the data directory loses its
 * group and other bits, one log line says how many, and a marker file keeps later starts from
 * walking the tree again (Postfix's `postfix set-permissions`, run by the appliance itself).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Directories the appliance makes under the data directory. */
export const DIR_MODE = 0o700;
/** Files the appliance makes under the data directory. */
export const FILE_MODE = 0o600;
/** Written after the one-time walk; its presence means "already tightened". */
export const PERMISSIONS_MARKER = '.permissions-tightened';

/** Group and other bits: none of them may stay on anything under the data directory. */
const OPEN_BITS = 0o077;

/** Sets the process umask to 077 (once per process; also done first thing by bin/mailserver.js). */
export function restrictUmask(): void {
  process.umask(OPEN_BITS);
}

export interface Tightened {
  /** Directories and files whose mode lost group/other bits. */
  dirs: number;
  files: number;
  /** A few of the paths, relative to the data directory, for the log line. */
  examples: string[];
}

/**
 * Makes `dataDir` (0700) and, unless the marker says it was done, removes group/other bits from
 * everything below it. Symbolic links are not followed (the checkout's `node_modules/mailserver`
 * points at the appliance itself). Returns what was changed, or null when nothing was walked.
 */
export function secureDataDir(dataDir: string): Tightened | null {
  fs.mkdirSync(dataDir, { recursive: true, mode: DIR_MODE });
  const marker = path.join(dataDir, PERMISSIONS_MARKER);
  const result: Tightened = { dirs: 0, files: 0, examples: [] };
  const tighten = (full: string, st: fs.Stats) => {
    if ((st.mode & OPEN_BITS) === 0) return;
    fs.chmodSync(full, st.mode & 0o7700 & ~OPEN_BITS);
    if (st.isDirectory()) result.dirs++;
    else result.files++;
    if (result.examples.length < 5) result.examples.push(path.relative(dataDir, full) || '.');
  };
  tighten(dataDir, fs.statSync(dataDir));
  if (fs.existsSync(marker)) return result.dirs ? result : null;
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) continue;
      let st: fs.Stats;
      try {
        st = fs.lstatSync(full);
      } catch {
        continue; // removed meanwhile (a checkout swapped by another process)
      }
      tighten(full, st);
      if (st.isDirectory()) walk(full);
    }
  };
  walk(dataDir);
  try {
    fs.writeFileSync(marker, 'group and other permission bits removed from everything in this directory\n', { mode: FILE_MODE });
  } catch {
    // a full disk: walk again at the next start rather than not start
  }
  return result;
}
