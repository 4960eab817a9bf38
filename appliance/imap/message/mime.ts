/**
 * A MIME tree with byte offsets into the raw message (RFC 2045/2046/822), for BODYSTRUCTURE,
 * BODY[section] and SEARCH. Header values are kept as latin1 strings (one char a byte), so
 * 8-bit headers go back to the client byte for byte.
 */
import libmime from 'libmime';
import { DEFAULT_MESSAGE_LIMITS, type MessageConfig } from '../../../core/config/message.ts';

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
  /** Lines of the body, once counted (lineCount, prepareMime). */
  lines?: number;
}

/** The limits a parse keeps to (the `message` settings; the IMAP listener sets them at start). */
let limits: MessageConfig = DEFAULT_MESSAGE_LIMITS;

export function setMimeLimits(l: MessageConfig): void {
  limits = l;
  cache.clear();
}

export function header(part: MimePart, key: string): string | null {
  const h = part.headers.find((x) => x.key === key);
  return h ? h.value : null;
}

/**
 * The fields of a header section, at most `maxHeaderCount`, each cut to `maxHeaderSize` bytes
 * (the caller passes at most `maxHeaderSectionSize` bytes): bounded work whatever the message.
 */
function parseHeaders(text: string, l: MessageConfig): Header[] {
  const out: Header[] = [];
  let pos = 0;
  while (pos < text.length && out.length < l.maxHeaderCount) {
    // a field ends at a line end not followed by white space (folding, RFC 5322 §2.2.3)
    let end = pos;
    for (;;) {
      const nl = text.indexOf('\n', end);
      if (nl < 0) { end = text.length; break; }
      const next = text.charCodeAt(nl + 1);
      if (next !== 0x20 && next !== 0x09) { end = nl + 1; break; }
      end = nl + 1;
    }
    let line = text.slice(pos, Math.min(end, pos + l.maxHeaderSize)).replace(/\r?\n$/, '');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    pos = end;
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    out.push({ key, raw: line, value: line.slice(colon + 1).replace(/\r?\n[ \t]/g, ' ').trim() });
  }
  return out;
}

const parsedTypes = new Map<string, { type: string; subtype: string; params: [string, string][] }>();

function parseContentType(value: string | null, dflt: string): { type: string; subtype: string; params: [string, string][] } {
  if (value === null) {
    // most parts have none: parse each default once
    let d = parsedTypes.get(dflt);
    if (!d) parsedTypes.set(dflt, (d = parseContentType(dflt, dflt)));
    return { ...d, params: d.params.slice() };
  }
  const parsed = libmime.parseHeaderValue(value);
  let [type, subtype] = String(parsed.value || dflt).toLowerCase().split('/');
  if (!type || !subtype) [type, subtype] = dflt.split('/');
  const params = Object.entries(parsed.params ?? {}).map(([k, v]) => [k, String(v)] as [string, string]);
  return { type: type.trim(), subtype: subtype.trim(), params };
}

/** Parts made so far in one parse, against `maxMimeParts`. */
interface ParseState {
  parts: number;
  limits: MessageConfig;
}

/**
 * The end of the header section starting at `start`: [separator index or -1, its length].
 * Only the first `maxHeaderSectionSize` bytes are searched (and only inside the part): a part
 * without an empty line must not make every part, or one huge header, scan the whole message.
 * Past that the header section is cut at the next line end and the rest is body text.
 */
function headerEnd(buf: Buffer, start: number, end: number, max: number): [number, number] {
  const view = buf.subarray(start, Math.min(end, start + max + 4));
  const crlf = view.indexOf('\r\n\r\n');
  const lf = crlf >= 0 ? view.subarray(0, crlf).indexOf('\n\n') : view.indexOf('\n\n');
  if (crlf >= 0 && lf < 0) return [start + crlf, 4];
  if (lf >= 0) return [start + lf, 2];
  if (start + max >= end) return [-1, 0];
  // cut: the header ends at the first line end past the cap, the empty line is missing
  const nl = buf.indexOf(0x0a, start + max);
  if (nl < 0 || nl >= end) return [-1, 0];
  return [nl + 1, 0];
}

/**
 * Parses the part spanning `start..end` of `buf`. Past `maxMimeParts` parts or `maxMimeDepth`
 * levels the rest is body text of the part it is in (as Dovecot does), and a header section
 * is read only up to `maxHeaderSectionSize` bytes.
 */
export function parseMime(buf: Buffer, start = 0, end = buf.length, dfltType = 'text/plain', depth = 0, state: ParseState = { parts: 0, limits }): MimePart {
  const l = state.limits;
  state.parts++;
  let bodyStart: number;
  let headerText: string;
  if (buf[start] === 0x0a || (buf[start] === 0x0d && buf[start + 1] === 0x0a)) {
    bodyStart = start + (buf[start] === 0x0d ? 2 : 1);
    headerText = '';
  } else {
    const [sep, len] = headerEnd(buf, start, end, l.maxHeaderSectionSize);
    bodyStart = sep < 0 ? end : sep + len;
    const headerStop = sep < 0 ? end : sep + len / 2;
    headerText = buf.toString('latin1', start, Math.min(headerStop, start + l.maxHeaderSectionSize));
  }
  const headers = parseHeaders(headerText, l);
  const ct = parseContentType(headers.find((h) => h.key === 'content-type')?.value ?? null, dfltType);
  const part: MimePart = { start, bodyStart, end, headers, ...ct, children: [], message: null };
  // `depth` containers hold this part: with maxMimeDepth of them it may hold no more parts
  if (depth >= l.maxMimeDepth || state.parts >= l.maxMimeParts) {
    if (ct.type === 'multipart') Object.assign(part, { type: 'text', subtype: 'plain', params: [] });
    return part;
  }
  if (ct.type === 'multipart') {
    const boundary = ct.params.find(([k]) => k === 'boundary')?.[1];
    if (boundary) part.children = splitMultipart(buf, bodyStart, end, boundary, ct.subtype === 'digest' ? 'message/rfc822' : 'text/plain', depth, state);
    if (!part.children.length) {
      // RFC 3501 §6.4.5 needs at least one part; treat an unparsable multipart as text
      Object.assign(part, { type: 'text', subtype: 'plain', params: [] });
    }
  } else if (ct.type === 'message' && (ct.subtype === 'rfc822' || ct.subtype === 'global')) {
    part.message = parseMime(buf, bodyStart, end, 'text/plain', depth + 1, state);
  }
  return part;
}

function splitMultipart(buf: Buffer, from: number, end: number, boundary: string, dflt: string, depth: number, state: ParseState): MimePart[] {
  const delim = Buffer.from(`--${boundary}`);
  const bounds: { lineStart: number; after: number; close: boolean }[] = [];
  let i = from;
  // once the part cap is reached the rest belongs to the last part: no need to find more boundaries
  const room = state.limits.maxMimeParts - state.parts;
  while (i < end && bounds.length <= room) {
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
    // past the cap, the last part runs to the end of the multipart (the rest is its text)
    const last = state.parts + 1 >= state.limits.maxMimeParts;
    const partEnd = !last && k + 1 < bounds.length ? bounds[k + 1].lineStart : end;
    parts.push(parseMime(buf, bounds[k].after, Math.max(bounds[k].after, partEnd), dflt, depth + 1, state));
    if (last) break;
  }
  return parts;
}

/**
 * A part by section number (`[1, 2]`), RFC 3501 §6.4.5. Numbers count the parts of a message:
 * the children of a multipart body, or, when the body is not multipart, part 1, the body
 * itself (the same tree node, whose MIME header is the message's header). A message/rfc822
 * part's numbers continue into the message it encapsulates, so `2.1` of a forwarded message is
 * part 1 of the forwarded message, however deep.
 */
export function partAt(root: MimePart, path: number[]): MimePart | null {
  let cur: MimePart = root;
  // `cur` is a message (the root, or one a message/rfc822 part holds) rather than a body part
  let isMessage = true;
  for (const n of path) {
    if (!isMessage && cur.message) {
      cur = cur.message;
      isMessage = true;
    }
    if (cur.children.length) {
      const next = cur.children[n - 1];
      if (!next) return null;
      cur = next;
    } else if (isMessage && n === 1) {
      // the body of a non-multipart message: the same node, seen as a body part
    } else return null;
    isMessage = false;
  }
  return cur;
}

/** Counts lines of a text body as IMAP size fields want them (precomputed by prepareMime when it ran). */
export function lineCount(buf: Buffer, start: number, end: number, part?: MimePart): number {
  if (part?.lines !== undefined) return part.lines;
  let n = 0;
  for (let i = buf.indexOf(0x0a, start); i >= 0 && i < end; i = buf.indexOf(0x0a, i + 1)) n++;
  if (end > start && buf[end - 1] !== 0x0a) n++;
  if (part) part.lines = n;
  return n;
}

/** Bytes counted between two turns of the event loop (a few ms of work). */
const LINE_SLICE = 1 << 20;

/** Counts lines like lineCount, giving the event loop a turn every LINE_SLICE bytes. */
async function countLinesSliced(buf: Buffer, start: number, end: number): Promise<number> {
  let n = 0;
  for (let from = start; from < end; from += LINE_SLICE) {
    const to = Math.min(end, from + LINE_SLICE);
    for (let i = buf.indexOf(0x0a, from); i >= 0 && i < to; i = buf.indexOf(0x0a, i + 1)) n++;
    if (to < end) await new Promise((r) => setImmediate(r));
  }
  if (end > start && buf[end - 1] !== 0x0a) n++;
  return n;
}

/**
 * The parsed tree of a message with the line counts BODYSTRUCTURE needs already there, counted
 * in slices with turns of the event loop between them, so that rendering afterwards is quick
 * (a 45 MB body of 12 M lines costs no single long task).
 */
export async function prepareMime(blobId: string, buf: Buffer): Promise<MimePart> {
  const root = cachedMime(blobId, buf);
  const todo: MimePart[] = [root];
  while (todo.length) {
    const part = todo.pop()!;
    todo.push(...part.children);
    if (part.message) todo.push(part.message);
    if (part.lines === undefined && (part.message || part.type === 'text') && part.end - part.bodyStart > LINE_SLICE) {
      part.lines = await countLinesSliced(buf, part.bodyStart, part.end);
    }
  }
  return root;
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
