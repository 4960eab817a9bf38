/**
 * Server response syntax (RFC 3501 §9): strings as quoted or literal, NIL, lists, dates, and
 * the modified UTF-7 of mailbox names (§5.1.3). Everything returns Buffers or ASCII strings.
 */
import { isUtf8 } from 'node:buffer';

export type Chunk = string | Buffer;

/**
 * A string (or NIL for null): quoted when it is short 7-bit text without CR/LF, else a literal.
 * `utf8`: the client enabled UTF8=ACCEPT, so valid UTF-8 may be quoted too
 * (RFC 6855 §3 and §7, RFC 9051 `QUOTED-CHAR =/ UTF8-2 / UTF8-3 / UTF8-4`).
 */
export function nstring(value: string | Buffer | null | undefined, utf8 = false): Chunk {
  if (value === null || value === undefined) return 'NIL';
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (bytes.length < 1024 && (isQuotable(bytes) || (utf8 && isQuotableUtf8(bytes)))) {
    return `"${bytes.toString('latin1').replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  }
  return Buffer.concat([Buffer.from(`{${bytes.length}}\r\n`), bytes]);
}

/** Raw header text held as a latin1 ("binary") string: one char a byte. */
export function nbinary(value: string | null | undefined, utf8 = false): Chunk {
  return value === null || value === undefined ? 'NIL' : nstring(Buffer.from(value, 'latin1'), utf8);
}

function isQuotable(b: Buffer): boolean {
  for (const c of b) if (c < 0x20 || c > 0x7e) return false;
  return true;
}

/** Printable and valid UTF-8 (no C0 control, no DEL). */
function isQuotableUtf8(b: Buffer): boolean {
  for (const c of b) if (c < 0x20 || c === 0x7f) return false;
  return isUtf8(b);
}

/** Joins chunks into one Buffer. */
export function join(chunks: Chunk[], sep = ' '): Buffer {
  const parts: Buffer[] = [];
  chunks.forEach((c, i) => {
    if (i && sep) parts.push(Buffer.from(sep));
    parts.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c);
  });
  return Buffer.concat(parts);
}

export function paren(chunks: Chunk[]): Buffer {
  return Buffer.concat([Buffer.from('('), join(chunks), Buffer.from(')')]);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** date-time (RFC 3501 §9): "17-Jul-1996 02:44:25 +0000" (UTC). */
export function dateTime(d: Date): string {
  return `"${pad(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000"`;
}

/** Parses an APPEND date-time `dd-Mon-yyyy hh:mm:ss +zzzz`; null when malformed. */
export function parseDateTime(s: string): Date | null {
  const m = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(s);
  if (!m) return null;
  const mon = MONTHS.findIndex((x) => x.toLowerCase() === m[2].toLowerCase());
  if (mon < 0) return null;
  // a day past the month's end, an hour past 23 or a minute past 59 is malformed, not rolled
  // over into the next (Date.UTC would); a leap second (60) is taken as the minute's end
  if (!realDay(Number(m[3]), mon, Number(m[1])) || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 60 || Number(m[9]) > 59) return null;
  const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  const t = Date.UTC(Number(m[3]), mon, Number(m[1]), Number(m[4]), Number(m[5]), Math.min(59, Number(m[6]))) - offset * 60_000;
  return Number.isNaN(t) ? null : new Date(t);
}

/** Day `day` exists in that month (1 to 28, 29, 30 or 31). */
function realDay(year: number, month: number, day: number): boolean {
  return day >= 1 && new Date(Date.UTC(year, month, day)).getUTCDate() === day;
}

/** SEARCH date `d-Mon-yyyy`, as the UTC midnight of that day; null when malformed. */
export function parseDate(s: string): Date | null {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(s);
  if (!m) return null;
  const mon = MONTHS.findIndex((x) => x.toLowerCase() === m[2].toLowerCase());
  if (mon < 0 || !realDay(Number(m[3]), mon, Number(m[1]))) return null;
  return new Date(Date.UTC(Number(m[3]), mon, Number(m[1])));
}

/** Mailbox name to modified UTF-7 (RFC 3501 §5.1.3). */
export function encodeMailboxName(name: string): string {
  return name.replace(/&/g, '&-').replace(/[^\x20-\x7e]+/g, (run) => {
    const utf16 = Buffer.alloc(run.length * 2);
    for (let i = 0; i < run.length; i++) utf16.writeUInt16BE(run.charCodeAt(i), i * 2);
    return `&${utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
  });
}

/** Modified UTF-7 to a mailbox name; null when the encoding is invalid. */
export function decodeMailboxName(wire: string): string | null {
  let bad = false;
  const out = wire.replace(/&([^-]*)-/g, (_m, b64: string) => {
    if (b64 === '') return '&';
    const buf = Buffer.from(b64.replace(/,/g, '/'), 'base64');
    if (buf.length % 2) bad = true;
    let s = '';
    for (let i = 0; i + 1 < buf.length; i += 2) s += String.fromCharCode(buf.readUInt16BE(i));
    return s;
  });
  if (bad || /&/.test(wire.replace(/&[^-]*-/g, ''))) return null;
  return out;
}
