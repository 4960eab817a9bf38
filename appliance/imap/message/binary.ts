/**
 * BINARY (RFC 3516, RFC 9051 §6.4.5): a part's content with its Content-Transfer-Encoding
 * undone, for BINARY[section] and BINARY.SIZE[section]. Charsets are left alone.
 */
import { header, partAt, type MimePart } from './mime.ts';
import { decodeQuotedPrintable } from './quoted-printable.ts';

/** The part's encoding is not one the server can undo (tagged NO [UNKNOWN-CTE]). */
export class UnknownCte extends Error {}

const IDENTITY = new Set(['', '7bit', '8bit', 'binary']);

/** Decoded bytes of the part at `path` (the whole message for []); empty when there is no such part. */
export function binaryBytes(buf: Buffer, root: MimePart, path: number[]): Buffer {
  if (!path.length) return buf;
  const part = partAt(root, path);
  if (!part) return Buffer.alloc(0);
  const body = buf.subarray(part.bodyStart, part.end);
  // a multipart or message/rfc822 part has no encoding of its own beyond 7bit/8bit/binary
  const cte = (header(part, 'content-transfer-encoding') ?? '').toLowerCase().trim();
  if (IDENTITY.has(cte)) return body;
  if (part.children.length || part.message) throw new UnknownCte(cte);
  if (cte === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (cte === 'quoted-printable') return decodeQuotedPrintable(body);
  throw new UnknownCte(cte);
}

/** A string for the response: literal8 (`~{n}`) when the bytes hold a NUL, else a literal. */
export function binaryLiteral(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.includes(0) ? '~' : ''}{${bytes.length}}\r\n`), bytes]);
}
