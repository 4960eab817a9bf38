/**
 * Decodes a raw message into what mail.dat rules match against: header values with RFC 2047
 * encoded words decoded (any charset libmime knows, ISO-2022-JP included) and raw 8-bit or JIS
 * header bytes read as UTF-8, Shift_JIS or ISO-2022-JP; the body's text parts with their
 * transfer encoding (quoted-printable, base64) and charset undone (mailparser). So a Japanese
 * token matches however the sender encoded it.
 */
import Encoding from 'encoding-japanese';
import iconv from 'iconv-lite';
import libmime from 'libmime';
import { simpleParser } from 'mailparser';
import type { DecodedMessage } from './mail-dat.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Raw header bytes to text: JIS escapes → ISO-2022-JP; 8-bit → UTF-8 when valid, else Shift_JIS. */
export function decodeHeaderBytes(bytes: Buffer): string {
  let text: string;
  if (bytes.includes(0x1b)) {
    text = Encoding.convert(bytes, { to: 'UNICODE', from: 'JIS', type: 'string' });
  } else if (bytes.some((b) => b > 0x7f)) {
    try {
      text = utf8.decode(bytes);
    } catch {
      text = Encoding.convert(bytes, { to: 'UNICODE', from: 'SJIS', type: 'string' });
    }
  } else text = bytes.toString('latin1');
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

/** The header block of a message, unfolded, as [lower-cased name, raw value bytes]. */
export function rawHeaders(message: Buffer): [string, Buffer][] {
  // bounded: at most the first 1 MiB (message.maxHeaderSectionSize's default; SMTP refuses more)
  const cap = message.subarray(0, HEADER_CAP + 4);
  let end = cap.indexOf('\r\n\r\n');
  if (end < 0) end = cap.indexOf('\n\n');
  const head = end < 0 ? cap.subarray(0, HEADER_CAP) : message.subarray(0, end);
  const fields: [string, Buffer[]][] = [];
  let start = 0;
  while (start <= head.length) {
    let nl = head.indexOf(0x0a, start);
    if (nl < 0) nl = head.length;
    let line = head.subarray(start, nl);
    start = nl + 1;
    if (line.length && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    if ((line[0] === 0x20 || line[0] === 0x09) && fields.length) {
      // pieces joined once at the end: a field folded into millions of lines stays linear
      fields[fields.length - 1][1].push(line.subarray(1));
      continue;
    }
    const colon = line.indexOf(0x3a);
    if (colon <= 0) continue;
    const name = line.subarray(0, colon).toString('latin1').trim().toLowerCase();
    let value = line.subarray(colon + 1);
    while (value.length && (value[0] === 0x20 || value[0] === 0x09)) value = value.subarray(1);
    fields.push([name, [value]]);
  }
  const space = Buffer.from(' ');
  return fields.map(([name, pieces]) => [name, pieces.length === 1 ? pieces[0] : Buffer.concat(pieces.flatMap((p, i) => (i ? [space, p] : [p])))]);
}

const HEADER_CAP = 1024 * 1024;

const URL_HOST = /\b(?:https?|ftp):\/\/(?:[^\s/@"'<>]*@)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)/gi;

/** Domains of the URLs in a text, lower-cased, without duplicates (at most `max`). */
export function uriDomains(text: string, max = 20): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(URL_HOST)) {
    out.add(m[1].toLowerCase().replace(/\.$/, ''));
    if (out.size >= max) break;
  }
  return [...out];
}

/** What the rules need decoded: header names (lower-case) and whether the body is needed. */
export interface DecodeNeeds {
  headers?: Set<string>;
  body?: boolean;
}

function decodeQuotedPrintable(b: Buffer): Buffer {
  const s = b.toString('latin1').replace(/=\r?\n/g, '');
  return Buffer.from(s.replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
}

function decodeCharset(bytes: Buffer, charset: string): string {
  const cs = charset.toLowerCase().replace(/_/g, '-');
  if (cs === 'iso-2022-jp' || (bytes.includes(0x1b) && (cs === '' || cs === 'us-ascii'))) return Encoding.convert(bytes, { to: 'UNICODE', from: 'JIS', type: 'string' });
  if (cs === 'shift-jis' || cs === 'sjis' || cs === 'x-sjis' || cs === 'cp932' || cs === 'windows-31j') return Encoding.convert(bytes, { to: 'UNICODE', from: 'SJIS', type: 'string' });
  if (cs === 'euc-jp') return Encoding.convert(bytes, { to: 'UNICODE', from: 'EUCJP', type: 'string' });
  if (cs === '' || cs === 'utf-8' || cs === 'us-ascii' || cs === 'utf8') return bytes.toString('utf8');
  return iconv.encodingExists(cs) ? iconv.decode(bytes, cs) : bytes.toString('latin1');
}

/**
 * The body text of a single-part text message without a full MIME parse (the common case, and
 * the hot path); null for anything else (multipart, attachments), which mailparser handles.
 */
function simpleBody(message: Buffer, headers: [string, Buffer][]): string | null {
  const ct = headers.find(([n]) => n === 'content-type')?.[1].toString('latin1') ?? 'text/plain';
  const type = ct.split(';')[0].trim().toLowerCase();
  if (!type.startsWith('text/')) return null;
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(ct)?.[1] ?? '';
  const cte = headers.find(([n]) => n === 'content-transfer-encoding')?.[1].toString('latin1').trim().toLowerCase() ?? '7bit';
  let end = message.indexOf('\r\n\r\n');
  end = end < 0 ? message.length : end + 4;
  let body = message.subarray(end);
  if (cte === 'base64') body = Buffer.from(body.toString('latin1'), 'base64');
  else if (cte === 'quoted-printable') body = decodeQuotedPrintable(body);
  else if (!['7bit', '8bit', 'binary'].includes(cte)) return null;
  return decodeCharset(body, charset);
}

/** Decodes what `needs` asks for (by default everything). */
export async function decodeMessage(message: Buffer, needs: DecodeNeeds = {}): Promise<DecodedMessage> {
  const headers = new Map<string, string[]>();
  const raw = rawHeaders(message);
  for (const [name, value] of raw) {
    if (needs.headers && !needs.headers.has(name)) continue;
    const list = headers.get(name) ?? [];
    list.push(decodeHeaderBytes(value));
    headers.set(name, list);
  }
  if (needs.body === false) return { headers, body: '', uriDomains: [] };
  let body = simpleBody(message, raw);
  if (body === null) {
    const parsed = await simpleParser(message, { skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
    body = [parsed.text ?? '', typeof parsed.html === 'string' ? parsed.html : ''].join('\n');
  }
  return { headers, body, uriDomains: uriDomains(body) };
}

/** What a rule table needs decoded. */
export function needsOf(rules: { headers?: { header: string }[]; body?: string[]; rbl?: string }[]): DecodeNeeds {
  return {
    headers: new Set(rules.flatMap((r) => (r.headers ?? []).map((h) => h.header.toLowerCase()))),
    body: rules.some((r) => (r.body?.length ?? 0) > 0 || !!r.rbl),
  };
}
