/**
 * Quoted-printable decoding (RFC 2045 §6.7), for BINARY (RFC 3516) and SEARCH. Per line:
 * trailing white space is transport padding and goes (rule 3); a line ending in "=" (white
 * space after it allowed) is a soft line break and joins the next; "=XX" is the octet XX.
 * Anything else, a malformed "=" included, is kept as it is (§6.7 note 1's robust decoding).
 * Hard line breaks keep the ending they had (CRLF or a bare LF).
 */
const EQ = 0x3d;
const CR = 0x0d;
const LF = 0x0a;
const isWsp = (c: number) => c === 0x20 || c === 0x09;

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

export function decodeQuotedPrintable(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(body.length);
  let n = 0;
  let pos = 0;
  while (pos < body.length) {
    const nl = body.indexOf(LF, pos);
    const lineEnd = nl < 0 ? body.length : nl;
    let contentEnd = lineEnd > pos && body[lineEnd - 1] === CR && nl >= 0 ? lineEnd - 1 : lineEnd;
    while (contentEnd > pos && isWsp(body[contentEnd - 1])) contentEnd--;
    const soft = contentEnd > pos && body[contentEnd - 1] === EQ;
    if (soft) contentEnd--;
    for (let i = pos; i < contentEnd; i++) {
      const c = body[i];
      if (c === EQ && i + 2 < contentEnd) {
        const hi = hex(body[i + 1]);
        const lo = hex(body[i + 2]);
        if (hi >= 0 && lo >= 0) {
          out[n++] = (hi << 4) | lo;
          i += 2;
          continue;
        }
      }
      out[n++] = c;
    }
    if (nl < 0) break;
    if (!soft) {
      // the hard line break as it stood
      if (body[nl - 1] === CR && nl - 1 >= pos) out[n++] = CR;
      out[n++] = LF;
    }
    pos = nl + 1;
  }
  return out.subarray(0, n);
}
