/**
 * Decodes a raw message into what mail.dat rules match against: header values with RFC 2047
 * encoded words decoded (any charset libmime knows, ISO-2022-JP included) and raw 8-bit or JIS
 * header bytes read as UTF-8, Shift_JIS or ISO-2022-JP; the body's text parts with their
 * transfer encoding (quoted-printable, base64) and charset undone (mailparser). So a Japanese
 * token matches however the sender encoded it.
 */
import Encoding from 'encoding-japanese';
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
  let end = message.indexOf('\r\n\r\n');
  if (end < 0) end = message.indexOf('\n\n');
  const head = end < 0 ? message : message.subarray(0, end);
  const out: [string, Buffer][] = [];
  let start = 0;
  const lines: Buffer[] = [];
  for (let i = 0; i <= head.length; i++) {
    if (i === head.length || head[i] === 0x0a) {
      let line = head.subarray(start, i);
      if (line.length && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      lines.push(line);
      start = i + 1;
    }
  }
  for (const line of lines) {
    if ((line[0] === 0x20 || line[0] === 0x09) && out.length) {
      const last = out[out.length - 1];
      last[1] = Buffer.concat([last[1], Buffer.from(' '), line.subarray(1)]);
      continue;
    }
    const colon = line.indexOf(0x3a);
    if (colon <= 0) continue;
    const name = line.subarray(0, colon).toString('latin1').trim().toLowerCase();
    let value = line.subarray(colon + 1);
    while (value.length && (value[0] === 0x20 || value[0] === 0x09)) value = value.subarray(1);
    out.push([name, value]);
  }
  return out;
}

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

export async function decodeMessage(message: Buffer): Promise<DecodedMessage> {
  const headers = new Map<string, string[]>();
  for (const [name, value] of rawHeaders(message)) {
    const list = headers.get(name) ?? [];
    list.push(decodeHeaderBytes(value));
    headers.set(name, list);
  }
  const parsed = await simpleParser(message, { skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  const body = [parsed.text ?? '', typeof parsed.html === 'string' ? parsed.html : ''].join('\n');
  return { headers, body, uriDomains: uriDomains(body) };
}
