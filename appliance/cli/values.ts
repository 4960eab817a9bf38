/** Parsing and checking of option values given on the command line. */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../core/errors.ts';
import { openEmbeddedStore } from '../store/embedded/index.ts';
import { openStoreForData } from '../store/open.ts';
import type { Stores } from '../../core/store/ports.ts';

const UNIT: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** `--quota`: bytes, or a number with K, M or G (1024-based, optional trailing B); 0 = unlimited. */
export function parseQuota(text: string): number {
  const m = /^\s*(\d+)\s*([KMG]?)(?:i?B)?\s*$/i.exec(text);
  const bytes = m ? Number(m[1]) * UNIT[m[2].toUpperCase()] : NaN;
  if (!Number.isSafeInteger(bytes)) {
    throw new UsageError(`bad quota ${JSON.stringify(text)}: give bytes, or a number with K, M or G (1024-based), e.g. 50M; 0 = unlimited`);
  }
  return bytes;
}

/** A non-negative whole number (`--account-limit`). */
export function parseCount(text: string, option: string): number {
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`bad ${option} ${JSON.stringify(text)}: expected a whole number (0 = no limit)`);
  }
  return Number(text);
}

/**
 * Account names the CLI creates: the characters the seed's import format accepts (half-width
 * alphanumerics and . _ - +), so that every account can be exported again (AC-3). `*` is the
 * alias wildcard, `%` and `@` are login syntax.
 */
const ACCOUNT_NAME = /^[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*$/;

/** Splits `user@domain`, checking only the shape (the store checks the rest). */
export function parseAddress(text: string): { local: string; domain: string; address: string } {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1 || /\s/.test(text)) {
    throw new UsageError(`${JSON.stringify(text)} is not an address of the form user@domain`);
  }
  const local = text.slice(0, at).toLowerCase();
  const domain = text.slice(at + 1).toLowerCase();
  return { local, domain, address: `${local}@${domain}` };
}

/** An address for a new account: the shape, and an account name that the TSV format can carry. */
export function parseNewAccount(text: string): { local: string; domain: string; address: string } {
  const parts = parseAddress(text);
  if (!ACCOUNT_NAME.test(parts.local)) {
    throw new UsageError(`${JSON.stringify(text)}: the account name may use A-Z a-z 0-9 . _ - + (no leading, trailing or double dot)`);
  }
  return parts;
}

/** Free text that is stored and exported (full name): no TAB or control characters. */
export function checkText(text: string, what: string): string {
  if (/[\u0000-\u001f\u007f-\u009f]/.test(text)) throw new UsageError(`${what} may not contain a TAB or control character`);
  return text;
}

/**
 * Opens the store under `dataDir` for one command and closes it after. Only `domain add` may
 * start a new data directory ('create'): every other command needs what a domain add made, and
 * a mistyped --data should say so rather than look like an empty server or leave a database behind.
 */
export async function withStore<T>(dataDir: string, mode: 'create' | 'existing', fn: (stores: Stores) => Promise<T>): Promise<T> {
  // a data directory of an appliance on PostgreSQL (store.json), or MAILSERVER_STORE_URL
  const cluster = await openStoreForData(dataDir);
  if (!cluster && mode === 'existing' && !fs.existsSync(path.join(dataDir, 'mailserver.db'))) {
    throw new UsageError(`no data in ${dataDir} (no domain has been added there yet); pass --data DIR or set MAILSERVER_DATA`);
  }
  const stores = cluster ?? openEmbeddedStore(dataDir);
  try {
    return await fn(stores);
  } finally {
    await stores.close();
  }
}
