/** Reads the seed's mail.dat files (UTF-8, or Shift_JIS as Windows Notepad saved them). */
import fs from 'node:fs';
import path from 'node:path';
import Encoding from 'encoding-japanese';
import { parseMailDat, type FilterRule } from '../../policies/mail-dat.ts';
import type { FilterTable } from './options.ts';

export function decodeMailDatBytes(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return Encoding.convert(bytes, { to: 'UNICODE', from: 'SJIS', type: 'string' });
  }
}

/** Rules of a table: inline, or read from `file` (relative to `baseDir`, the config's folder). */
export function loadTable(table: FilterTable, log: { warn: (o: object, m: string) => void }, baseDir = process.cwd()): FilterRule[] {
  if (!table.file) return table.rules;
  const full = path.resolve(baseDir, table.file);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(full);
  } catch (err) {
    throw new Error(`mailfilter: ${full}: ${(err as Error).message}`);
  }
  const parsed = parseMailDat(decodeMailDatBytes(bytes));
  for (const w of parsed.warnings) log.warn({ file: full }, w);
  return [...parsed.rules, ...table.rules];
}
