/**
 * Sequence sets (RFC 3501 §9 `sequence-set`): `1:4,7,9:*`. `*` is the largest number in use;
 * a range may be given in either order. Resolved against the selected mailbox's view.
 */

export type Range = [number, number];

/** Parses a set into ranges with `*` as Infinity; null when malformed. */
export function parseSequenceSet(text: string): Range[] | null {
  const out: Range[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+|\*)(?::(\d+|\*))?$/.exec(part);
    if (!m) return null;
    const a = m[1] === '*' ? Infinity : Number(m[1]);
    const b = m[2] === undefined ? a : m[2] === '*' ? Infinity : Number(m[2]);
    if (a === 0 || b === 0 || a > 0xffffffff && a !== Infinity || b > 0xffffffff && b !== Infinity) return null;
    out.push(a <= b ? [a, b] : [b, a]);
  }
  return out;
}

/** Whether `n` is in the set, with `*` meaning `max`. */
export function inSet(ranges: Range[], n: number, max: number): boolean {
  for (const [a0, b0] of ranges) {
    const a = a0 === Infinity ? max : a0;
    const b = b0 === Infinity ? max : b0;
    if (n >= Math.min(a, b) && n <= Math.max(a, b)) return true;
  }
  return false;
}

/** Compact form of sorted numbers: [1,2,3,5] -> "1:3,5" (UIDPLUS, ESEARCH). */
export function compactSet(nums: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < nums.length; ) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j] + 1) j++;
    out.push(i === j ? String(nums[i]) : `${nums[i]}:${nums[j]}`);
    i = j + 1;
  }
  return out.join(',');
}
