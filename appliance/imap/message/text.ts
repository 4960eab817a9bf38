/**
 * Decoded text of a message for SEARCH (RFC 3501 §6.4.4): header values with encoded-words
 * decoded (RFC 2047), and text bodies with their transfer encoding and charset undone
 * (ISO-2022-JP, Shift_JIS, ... through libmime/iconv), so Japanese terms find Japanese mail.
 */
import libmime from 'libmime';
import { decode as decodeCharset } from 'libmime/lib/charset';
import { header, type MimePart } from './mime.ts';
import { decodeQuotedPrintable } from './quoted-printable.ts';

/** A raw (latin1) header value as readable text. */
export function decodeHeaderValue(raw: string): string {
  const bytes = Buffer.from(raw, 'latin1');
  const utf8 = bytes.toString('utf8');
  // 8-bit headers are most often UTF-8; anything else is taken byte for byte
  const text = utf8.includes('\ufffd') ? raw : utf8;
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

export function decodeBody(buf: Buffer, part: MimePart): string {
  const body = buf.subarray(part.bodyStart, part.end);
  const cte = (header(part, 'content-transfer-encoding') ?? '').toLowerCase().trim();
  let bytes: Buffer = body;
  if (cte === 'base64') bytes = Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  else if (cte === 'quoted-printable') bytes = decodeQuotedPrintable(body);
  const charset = part.params.find(([k]) => k === 'charset')?.[1] ?? 'utf-8';
  try {
    return decodeCharset(bytes, charset);
  } catch {
    return bytes.toString('utf8');
  }
}

/** Every text/* leaf of the message, decoded, joined (message/rfc822 parts included). */
export function bodyText(buf: Buffer, root: MimePart): string {
  const out: string[] = [];
  const walk = (p: MimePart, depth: number) => {
    if (depth > 20) return;
    if (p.children.length) p.children.forEach((c) => walk(c, depth + 1));
    else if (p.message) {
      out.push(p.message.headers.map((h) => decodeHeaderValue(h.value)).join('\n'));
      walk(p.message, depth + 1);
    } else if (p.type === 'text') out.push(decodeBody(buf, p));
  };
  walk(root, 0);
  return out.join('\n');
}

/** Case-insensitive substring match (RFC 3501 §6.4.4). */
export function contains(haystack: string, needle: string): boolean {
  return haystack.toLowerCase().includes(needle.toLowerCase());
}
