/**
 * One test for "holds a character outside US-ASCII" (a UTF-8 address of RFC 6531, a U-label
 * domain of RFC 5890, an internationalized header of RFC 6532). No `g` flag: `.test()` keeps no
 * `lastIndex` between calls, so the one constant is safe to share.
 */
export const NON_ASCII = /[^\x00-\x7f]/;

/** True when every character of `s` is US-ASCII. */
export const isAscii = (s: string): boolean => !NON_ASCII.test(s);
