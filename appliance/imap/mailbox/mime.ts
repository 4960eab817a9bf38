/**
 * A MIME tree with byte offsets into the raw message (RFC 2045/2046/822), for BODYSTRUCTURE,
 * BODY[section] and SEARCH. Header values are kept as latin1 strings (one char a byte), so
 * 8-bit headers go back to the client byte for byte.
 */
import libmime from 'libmime';

export interface Header {
  /** Lower-cased field name. */
  key: string;
  /** The field as it stands, folded, without the final CRLF (latin1). */
  raw: string;
  /** The value, unfolded, trimmed (latin1). */
  value: string;
}

export interface MimePart {
  start: number;
  bodyStart: number;
  end: number;
  headers: Header[];
  type: string;
  subtype: string;
  params: [string, string][];
  children: MimePart[];
  /** For message/rfc822: the encapsulated message. */
  message: MimePart | null;
}

const MAX_DEPTH = 20;

export function header(part: MimePart, key: string): string | null {
  const h = part.headers.find((x) => x.key === key);
  return h ? h.value : null;
}

function parseHeaders(text: string): Header[] {
  const out: Header[] = [];
  for (const line of text.split(/\r?\n(?![ \t])/)) {
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    out.push({ key, raw: line, value: line.slice(colon + 1).replace(/\r?\n[ \t]/g, ' ').trim() });
  }
  return out;
}

function parseContentType(value: string | null, dflt: string): { type: string; subtype: string; params: [string, string][] } {
  const parsed = libmime.parseHeaderValue(value ?? dflt);
  let [type, subtype] = String(parsed.value || dflt).toLowerCase().split('/');
  if (!type || !subtype) [type, subtype] = dflt.split('/');
  const params = Object.entries(parsed.params ?? {}).map(([k, v]) => [k, String(v)] as [string, string]);
  return { type: type.trim(), subtype: subtype.trim(), params };
}

/** Parses the part spanning `start..end` of `buf`. */
export function parseMime(buf: Buffer, start = 0, end = buf.length, dfltType = 'text/plain', depth = 0): MimePart {
  let bodyStart: number;
  let headerText: string;
  if (buf[start] === 0x0a || (buf[start] === 0x0d && buf[start + 1] === 0x0a)) {
    bodyStart = start + (buf[start] === 0x0d ? 2 : 1);
    headerText = '';
  } else {
    const crlf = buf.indexOf('\r\n\r\n', start);
    const lf = buf.indexOf('\n\n', start);
    let sep = -1;
    let len = 0;
    if (crlf >= 0 && crlf < end && (lf < 0 || crlf < lf)) [sep, len] = [crlf, 4];
    else if (lf >= 0 && lf < end) [sep, len] = [lf, 2];
    bodyStart = sep < 0 ? end : sep + len;
    headerText = buf.toString('latin1', start, sep < 0 ? end : sep + len / 2);
  }
  const headers = parseHeaders(headerText);
  const ct = parseContentType(headers.find((h) => h.key === 'content-type')?.value ?? null, dfltType);
  const part: MimePart = { start, bodyStart, end, headers, ...ct, children: [], message: null };
  if (depth >= MAX_DEPTH) return part;
  if (ct.type === 'multipart') {
    const boundary = ct.params.find(([k]) => k === 'boundary')?.[1];
    if (boundary) part.children = splitMultipart(buf, bodyStart, end, boundary, ct.subtype === 'digest' ? 'message/rfc822' : 'text/plain', depth);
    if (!part.children.length) {
      // RFC 3501 §6.4.5 needs at least one part; treat an unparsable multipart as text
      Object.assign(part, { type: 'text', subtype: 'plain', params: [] });
    }
  } else if (ct.type === 'message' && (ct.subtype === 'rfc822' || ct.subtype === 'global')) {
    part.message = parseMime(buf, bodyStart, end, 'text/plain', depth + 1);
  }
  return part;
}

function splitMultipart(buf: Buffer, from: number, end: number, boundary: string, dflt: string, depth: number): MimePart[] {
  const delim = Buffer.from(`--${boundary}`);
  const bounds: { lineStart: number; after: number; close: boolean }[] = [];
  let i = from;
  while (i < end) {
    const at = buf.indexOf(delim, i);
    if (at < 0 || at + delim.length > end) break;
    i = at + delim.length;
    if (at !== from && buf[at - 1] !== 0x0a) continue;
    const close = buf[i] === 0x2d && buf[i + 1] === 0x2d;
    let j = close ? i + 2 : i;
    while (j < end && (buf[j] === 0x20 || buf[j] === 0x09)) j++;
    if (j < end && buf[j] !== 0x0d && buf[j] !== 0x0a) continue;
    const nl = buf.indexOf(0x0a, j);
    const after = nl < 0 || nl >= end ? end : nl + 1;
    let lineStart = at;
    if (at > from && buf[at - 1] === 0x0a) lineStart = at - (at - 1 > from && buf[at - 2] === 0x0d ? 2 : 1);
    bounds.push({ lineStart, after, close });
    if (close) break;
    i = after;
  }
  const parts: MimePart[] = [];
  for (let k = 0; k < bounds.length; k++) {
    if (bounds[k].close) break;
    const partEnd = k + 1 < bounds.length ? bounds[k + 1].lineStart : end;
    parts.push(parseMime(buf, bounds[k].after, Math.max(bounds[k].after, partEnd), dflt, depth + 1));
  }
  return parts;
}

/** A part by section number (`[1, 2]`); numbers inside a message/rfc822 refer to its body. */
export function partAt(root: MimePart, path: number[]): MimePart | null {
  let cur: MimePart = root;
  for (const n of path) {
    const container: MimePart = cur.message ?? cur;
    if (container.children.length) {
      const next = container.children[n - 1];
      if (!next) return null;
      cur = next;
    } else if (n === 1 && cur === root) {
      // a non-multipart message has one part, its body (RFC 3501 §6.4.5)
      cur = container;
    } else if (n === 1 && cur.message) {
      cur = cur.message;
    } else return null;
  }
  return cur;
}

/** Counts lines of a text body as IMAP size fields want them. */
export function lineCount(buf: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a, start); i >= 0 && i < end; i = buf.indexOf(0x0a, i + 1)) n++;
  if (end > start && buf[end - 1] !== 0x0a) n++;
  return n;
}

/** Parsed trees of recently used messages (FETCH of ENVELOPE/BODY[..] reuses them). */
const cache = new Map<string, { buf: Buffer; root: MimePart }>();
const CACHE_SIZE = 256;
/** The cache keeps the messages it parsed: bounded in bytes too, so large messages do not pile up. */
const CACHE_BYTES = 32 * 1024 * 1024;
let cachedBytes = 0;

export function cachedMime(blobId: string, buf: Buffer): MimePart {
  const hit = cache.get(blobId);
  if (hit && hit.buf === buf) return hit.root;
  const root = parseMime(buf);
  if (hit) {
    cache.delete(blobId);
    cachedBytes -= hit.buf.length;
  }
  if (buf.length > CACHE_BYTES / 4) return root;
  cache.set(blobId, { buf, root });
  cachedBytes += buf.length;
  while (cache.size > CACHE_SIZE || cachedBytes > CACHE_BYTES) {
    const [key, old] = cache.entries().next().value!;
    cache.delete(key);
    cachedBytes -= old.buf.length;
  }
  return root;
}
