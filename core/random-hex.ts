/**
 * Random hex identifiers (queue ids, blob ids) from a pool of random bytes refilled 4 KiB at a
 * time: one call into the CSPRNG per few hundred ids instead of one an id (ids are made several
 * times per message). The bytes are used once each.
 */
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.alloc(4096);
let used = POOL.length;

/** `bytes` random bytes (at most 64) as 2×bytes lower-case hex digits. */
export function randomHex(bytes: number): string {
  if (bytes > 64) throw new RangeError('randomHex: at most 64 bytes');
  if (used + bytes > POOL.length) {
    randomFillSync(POOL);
    used = 0;
  }
  const hex = POOL.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}
