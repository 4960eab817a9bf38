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
 * Byte-stuffing of a multi-line reply, chunk by chunk (RETR streams the message): every line
 * that starts with `.` gets one more, bare LF becomes CRLF; `end()` terminates the last line
 * and adds `.CRLF`. Spans without a change are passed on as slices.
 */
export class DotStuffer {
  private lineStart = true;
  private prev = -1;

  push(chunk: Buffer): Buffer {
    const parts: Buffer[] = [];
    let spanStart = 0;
    let pos = 0;
    while (pos < chunk.length) {
      if (this.lineStart && chunk[pos] === DOT) {
        parts.push(chunk.subarray(spanStart, pos), DOT_BUF);
        spanStart = pos;
      }
      this.lineStart = false;
      const nl = chunk.indexOf(LF, pos);
      if (nl === -1) break;
      if ((nl === 0 ? this.prev : chunk[nl - 1]) !== CR) {
        parts.push(chunk.subarray(spanStart, nl), CRLF_BUF);
        spanStart = nl + 1;
      }
      pos = nl + 1;
      this.lineStart = true;
    }
    if (chunk.length) this.prev = chunk[chunk.length - 1];
    if (!parts.length) return chunk;
    parts.push(chunk.subarray(spanStart));
    return Buffer.concat(parts);
  }

  end(): Buffer {
    return this.prev !== -1 && this.prev !== LF ? Buffer.concat([CRLF_BUF, END_BUF]) : END_BUF;
  }
}

/** The body of a multi-line reply in one Buffer (see DotStuffer). */
export function dotStuff(content: Buffer): Buffer {
  const d = new DotStuffer();
  return Buffer.concat([d.push(content), d.end()]);
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

/**
 * topOf chunk by chunk (TOP streams the message): `push` returns the part of each chunk that
 * belongs to the answer, and `done` once the rest of the message is not needed.
 */
export class TopCutter {
  private inHeader = true;
  private lineStart = true;
  /** A CR at a line start in the header ended the last chunk: blank line if LF follows. */
  private pendingCr = false;
  private finished = false;
  constructor(private remaining: number) {}

  push(chunk: Buffer): { out: Buffer; done: boolean } {
    if (this.finished) return { out: chunk.subarray(0, 0), done: true };
    let pos = 0;
    const bodyStarts = (at: number) => {
      this.inHeader = false;
      pos = at;
    };
    while (pos < chunk.length || (!this.inHeader && this.remaining === 0)) {
      if (!this.inHeader) {
        if (this.remaining === 0) {
          this.finished = true;
          return { out: chunk.subarray(0, pos), done: true };
        }
        const nl = chunk.indexOf(LF, pos);
        if (nl === -1) break;
        pos = nl + 1;
        this.remaining--;
        continue;
      }
      if (this.pendingCr) {
        this.pendingCr = false;
        if (chunk[pos] === LF) {
          bodyStarts(pos + 1);
          continue;
        }
      } else if (this.lineStart) {
        if (chunk[pos] === LF) {
          bodyStarts(pos + 1);
          continue;
        }
        if (chunk[pos] === CR) {
          if (pos + 1 === chunk.length) {
            this.pendingCr = true;
            pos++;
            break;
          }
          if (chunk[pos + 1] === LF) {
            bodyStarts(pos + 2);
            continue;
          }
        }
      }
      const nl = chunk.indexOf(LF, pos);
      if (nl === -1) {
        this.lineStart = false;
        break;
      }
      pos = nl + 1;
      this.lineStart = true;
    }
    return { out: chunk, done: false };
  }
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
