/**
 * Opens the configured store: the embedded store under the data directory, or the PostgreSQL
 * cluster store (`store: { kind: 'postgres', url }`). CLI commands, which get a data directory
 * but no config, find the store through `openStoreForData`: MAILSERVER_STORE_URL, else the
 * `store.json` the appliance writes into its data directory when it runs on PostgreSQL, else the
 * embedded store.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Stores } from '../../core/store/ports.ts';
import type { AppConfig } from '../../core/config/schema.ts';
import type { Logger } from '../../core/log.ts';
import { UsageError } from '../../core/errors.ts';
import { openEmbeddedStore } from './embedded/index.ts';

export type StoreConfig = AppConfig['store'];
export const STORE_POINTER = 'store.json';

export async function openStore(store: StoreConfig, dataDir: string, opts: { nodeName?: string; log?: Logger } = {}): Promise<Stores> {
  const log = opts.log;
  if (store.kind === 'postgres') {
    const { openPostgresStore } = await import('./postgres/index.ts');
    const stores = await openPostgresStore({
      url: store.url, poolSize: store.poolSize, nodeName: opts.nodeName,
      log: (msg, err) => log?.warn({ err }, msg),
    });
    writePointer(dataDir, store.url);
    return stores;
  }
  removePointer(dataDir);
  const stores = openEmbeddedStore(dataDir);
  const orphans = stores.mail.sweepOrphans();
  if (orphans) log?.warn({ orphans }, 'removed message files left by an interrupted commit');
  return stores;
}

/** The store a CLI command works on, for a data directory (see the file comment). */
export async function openStoreForData(dataDir: string): Promise<Stores | null> {
  const url = process.env.MAILSERVER_STORE_URL || readPointer(dataDir);
  if (!url) return null;
  const { openPostgresStore } = await import('./postgres/index.ts');
  return openPostgresStore({ url, poolSize: 2, nodeName: `cli-${process.pid}` });
}

function readPointer(dataDir: string): string | null {
  const file = path.join(dataDir, STORE_POINTER);
  if (!fs.existsSync(file)) return null;
  try {
    const p = JSON.parse(fs.readFileSync(file, 'utf8')) as { kind?: string; url?: string };
    if (p.kind === 'postgres' && typeof p.url === 'string') return p.url;
  } catch {
    /* reported below */
  }
  throw new UsageError(`${file} is not a valid store pointer (expected {"kind":"postgres","url":"postgres://..."}); remove it to use the embedded store`);
}

function writePointer(dataDir: string, url: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // the URL may carry a password: readable by the owner only
  fs.writeFileSync(path.join(dataDir, STORE_POINTER), JSON.stringify({ kind: 'postgres', url }) + '\n', { mode: 0o600 });
}

function removePointer(dataDir: string): void {
  fs.rmSync(path.join(dataDir, STORE_POINTER), { force: true });
}
