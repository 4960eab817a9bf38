/**
 * Message bytes on the wire (pure): RFC 1939 §3 byte-stuffing for RETR and TOP, and the
 * header/body split of TOP (§7). Stored messages use CRLF; a stray bare LF is sent as CRLF
 * all the same, because the wire format knows no other line end.
 */

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const CRLF_BUF = Buffer.from('\r\n');
const DOT_BUF = Buffer.from('.');
const END_BUF = Buffer.from('.\r\n');

/**
 * The body of a multi-line reply: every line that starts with `.` gets one more, bare LF
 * becomes CRLF, the last line is terminated, and `.CRLF` ends it. Spans without a change are
 * copied as slices, so a large message costs one concatenation.
 */
export function dotStuff(content: Buffer): Buffer {
  const parts: Buffer[] = [];
  let spanStart = 0;
  let pos = 0;
  while (pos < content.length) {
    if (content[pos] === DOT) {
      parts.push(content.subarray(spanStart, pos), DOT_BUF);
      spanStart = pos;
    }
    const nl = content.indexOf(LF, pos);
    if (nl === -1) break;
    if (nl === 0 || content[nl - 1] !== CR) {
      parts.push(content.subarray(spanStart, nl), CRLF_BUF);
      spanStart = nl + 1;
    }
    pos = nl + 1;
  }
  parts.push(content.subarray(spanStart));
  if (content.length > 0 && content[content.length - 1] !== LF) parts.push(CRLF_BUF);
  parts.push(END_BUF);
  return Buffer.concat(parts);
}

/** Offset just past the blank line that ends the header, or null when there is none. */
export function headerEnd(content: Buffer): number | null {
  let pos = 0;
  while (pos < content.length) {
    // a line of its own that is empty (CRLF or LF) ends the header
    if (content[pos] === LF) return pos + 1;
    if (content[pos] === CR && content[pos + 1] === LF) return pos + 2;
    const nl = content.indexOf(LF, pos);
    if (nl === -1) return null;
    pos = nl + 1;
  }
  return null;
}

/** TOP msg n (RFC 1939 §7): the header, the blank line, and the first `lines` lines of the body. */
export function topOf(content: Buffer, lines: number): Buffer {
  const bodyStart = headerEnd(content);
  if (bodyStart === null) return content;
  let end = bodyStart;
  for (let i = 0; i < lines && end < content.length; i++) {
    const nl = content.indexOf(LF, end);
    end = nl === -1 ? content.length : nl + 1;
  }
  return content.subarray(0, end);
}
