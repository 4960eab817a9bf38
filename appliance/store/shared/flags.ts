/** IMAP flag arithmetic shared by the stores (RFC 3501 §6.4.6 STORE). */
import type { FlagMode } from '../../../core/store/ports.ts';

/** Flag names compare case-insensitively (RFC 3501 §2.3.2); the first spelling is kept. */
export function applyFlags(current: string[], mode: FlagMode, flags: string[]): string[] {
  const key = (f: string) => f.toLowerCase();
  if (mode === 'set') {
    const seen = new Set<string>();
    return flags.filter((f) => !seen.has(key(f)) && seen.add(key(f)));
  }
  const have = new Set(current.map(key));
  if (mode === 'add') return [...current, ...flags.filter((f) => !have.has(key(f)) && have.add(key(f)))];
  const drop = new Set(flags.map(key));
  return current.filter((f) => !drop.has(key(f)));
}

export const sameFlags = (a: string[], b: string[]) => a.length === b.length && a.every((f, i) => f === b[i]);
