/**
 * Everything the appliance and its CLI take from outside the config, read in one place: the
 * environment variables (MAILSERVER_CONFIG, MAILSERVER_DATA, MAILSERVER_STORE_URL) and the store
 * pointer (`store.json`) a node on PostgreSQL leaves in its data directory, so that CLI commands
 * given only a data directory find the same store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../core/errors.ts';

/** The config file: the one given, else $MAILSERVER_CONFIG (undefined: look in the working directory). */
export function configFileFrom(given?: string): string | undefined {
  return given ?? process.env.MAILSERVER_CONFIG;
}

/** The data directory: the one given, else $MAILSERVER_DATA, else ./data — resolved to an absolute path. */
export function dataDirFrom(given?: string): string {
  return path.resolve(given ?? process.env.MAILSERVER_DATA ?? './data');
}

export const STORE_POINTER = 'store.json';

/**
 * The PostgreSQL store of a data directory: $MAILSERVER_STORE_URL, else its store pointer, else
 * null (the embedded store). A pointer that does not parse is an error, unless `lenient`.
 */
export function storeUrlFor(dataDir: string, opts: { lenient?: boolean } = {}): string | null {
  return process.env.MAILSERVER_STORE_URL || readStorePointer(dataDir, opts);
}

function readStorePointer(dataDir: string, opts: { lenient?: boolean }): string | null {
  const file = path.join(dataDir, STORE_POINTER);
  if (!fs.existsSync(file)) return null;
  try {
    const p = JSON.parse(fs.readFileSync(file, 'utf8')) as { kind?: string; url?: string };
    if (p.kind === 'postgres' && typeof p.url === 'string') return p.url;
  } catch {
    /* reported below */
  }
  if (opts.lenient) return null;
  throw new UsageError(`${file} is not a valid store pointer (expected {"kind":"postgres","url":"postgres://..."}); remove it to use the embedded store`);
}

export function writeStorePointer(dataDir: string, url: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // the URL may carry a password: readable by the owner only
  fs.writeFileSync(path.join(dataDir, STORE_POINTER), JSON.stringify({ kind: 'postgres', url }) + '\n', { mode: 0o600 });
}

export function removeStorePointer(dataDir: string): void {
  fs.rmSync(path.join(dataDir, STORE_POINTER), { force: true });
}
