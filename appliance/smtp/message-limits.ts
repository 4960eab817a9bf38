/**
 * Checks a message's header and MIME structure against the `message` limits while DATA streams
 * in, chunk by chunk: one pass, line ends found with Buffer.indexOf, and per line only its
 * first bytes kept (enough to know a header name, a Content-Type value or a boundary), so the
 * work is O(n) and the memory a few KiB whatever the message is. The first limit exceeded is
 * kept; after it the rest of DATA is only counted, and the caller refuses the message at its end.
 *
 * A header section ends at its first empty line, as for every parser of stored mail here (so a
 * line without a colon cannot hide megabytes of "header" from the scanner). Header limits apply
 * to the message's header and to each MIME part's.
 */
import libmime from 'libmime';
import type { MessageConfig } from '../../core/config/message.ts';

export type LimitName = 'maxHeaderSize' | 'maxHeaderSectionSize' | 'maxHeaderCount' | 'maxMimeParts' | 'maxMimeDepth';

export interface LimitViolation {
  limit: LimitName;
  /** The configured value that was exceeded. */
  max: number;
}

/** Bytes of a line kept: enough for a boundary (RFC 2046 §5.1.1: at most 70) and a Content-Type line. */
const LINE_HEAD = 8192;
/** Bytes of a Content-Type field kept (longer ones are parsed from this prefix). */
const CONTENT_TYPE_HEAD = 8192;

interface Level {
  /** Boundary of a multipart; null for a message/rfc822 encapsulation. */
  boundary: string | null;
}

export class MessageLimitScanner {
  violation: LimitViolation | null = null;
  private readonly limits: MessageConfig;
  /** true while reading a header section (the message's or a part's). */
  private inHeader = true;
  private fieldSize = 0;
  private sectionSize = 0;
  private fieldCount = 0;
  /** Content-Type of the current header section (its first CONTENT_TYPE_HEAD bytes), while reading it. */
  private contentType: string | null = null;
  private capturingContentType = false;
  private defaultType = 'text/plain';
  private parts = 1;
  private readonly stack: Level[] = [];
  /** boundary → indexes in `stack` where it is open. */
  private readonly open = new Map<string, number[]>();
  /** The current (unfinished) line: its first bytes and its length. */
  private head = Buffer.alloc(LINE_HEAD);
  private headLen = 0;
  private lineLen = 0;

  constructor(limits: MessageConfig) {
    this.limits = limits;
  }

  /** Feeds the next chunk of the message (dot-unstuffed DATA). */
  push(chunk: Buffer): void {
    if (this.violation) return;
    let pos = 0;
    while (pos < chunk.length && !this.violation) {
      const nl = chunk.indexOf(0x0a, pos);
      const end = nl < 0 ? chunk.length : nl + 1;
      this.take(chunk, pos, end);
      if (nl >= 0) this.endLine();
      pos = end;
    }
  }

  /** Call at the end of DATA: a last line without line end still counts. */
  end(): LimitViolation | null {
    if (!this.violation && this.lineLen) this.endLine();
    if (!this.violation && this.inHeader) this.endField();
    return this.violation;
  }

  private take(chunk: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.inHeader && this.lineLen === 0 && chunk[from] !== 0x20 && chunk[from] !== 0x09) this.fieldSize = 0;
    if (this.headLen < LINE_HEAD) {
      const k = Math.min(n, LINE_HEAD - this.headLen);
      chunk.copy(this.head, this.headLen, from, from + k);
      this.headLen += k;
    }
    this.lineLen += n;
    if (this.inHeader) {
      this.fieldSize += n;
      this.sectionSize += n;
      if (this.fieldSize > this.limits.maxHeaderSize) this.fail('maxHeaderSize');
      else if (this.sectionSize > this.limits.maxHeaderSectionSize) this.fail('maxHeaderSectionSize');
    }
  }

  private fail(limit: LimitName): void {
    this.violation ??= { limit, max: this.limits[limit] };
  }

  /** The current line without its line end (latin1), from the kept bytes. */
  private lineText(): string {
    let len = this.headLen;
    if (this.lineLen === this.headLen) {
      if (len && this.head[len - 1] === 0x0a) len--;
      if (len && this.head[len - 1] === 0x0d) len--;
    }
    return this.head.toString('latin1', 0, len);
  }

  private endLine(): void {
    const h = this.head;
    if (this.inHeader) {
      const empty = h[0] === 0x0a || (h[0] === 0x0d && h[1] === 0x0a && this.lineLen === 2);
      if (empty) {
        this.endField();
        this.endSection();
      } else if (h[0] === 0x20 || h[0] === 0x09) {
        if (this.capturingContentType && this.contentType !== null && this.contentType.length < CONTENT_TYPE_HEAD) {
          this.contentType += ' ' + this.lineText().slice(0, CONTENT_TYPE_HEAD - this.contentType.length);
        }
      } else this.newField();
    } else if (this.open.size && h[0] === 0x2d && h[1] === 0x2d) this.bodyLine(this.lineText());
    this.headLen = 0;
    this.lineLen = 0;
  }

  private newField(): void {
    this.endField();
    if (++this.fieldCount > this.limits.maxHeaderCount) return this.fail('maxHeaderCount');
    // only the first bytes of a line can name Content-Type
    if ((this.head[0] | 0x20) !== 0x63) return;
    const text = this.lineText();
    const colon = text.indexOf(':');
    if (colon > 0 && text.slice(0, colon).trim().toLowerCase() === 'content-type') {
      this.capturingContentType = true;
      this.contentType = text.slice(colon + 1);
    }
  }

  private endField(): void {
    this.capturingContentType = false;
  }

  /** The empty line after a header section: what follows is the body of a part. */
  private endSection(): void {
    const ct = this.parseContentType();
    this.inHeader = false;
    this.sectionSize = 0;
    this.fieldCount = 0;
    this.contentType = null;
    if (ct.type === 'multipart' && ct.boundary) {
      if (this.enter({ boundary: ct.boundary }) && ct.subtype === 'digest') this.digest.add(this.stack.length - 1);
    } else if (ct.type === 'message' && (ct.subtype === 'rfc822' || ct.subtype === 'global')) {
      // the encapsulated message: a header section again, one level deeper
      if (!this.enter({ boundary: null })) return;
      if (++this.parts > this.limits.maxMimeParts) return this.fail('maxMimeParts');
      this.inHeader = true;
      this.defaultType = 'text/plain';
    }
  }

  private enter(level: Level): boolean {
    if (this.stack.length + 1 > this.limits.maxMimeDepth) {
      this.fail('maxMimeDepth');
      return false;
    }
    this.stack.push(level);
    if (level.boundary !== null) {
      const list = this.open.get(level.boundary) ?? [];
      list.push(this.stack.length - 1);
      this.open.set(level.boundary, list);
    }
    return true;
  }

  private parseContentType(): { type: string; subtype: string; boundary?: string } {
    const value = this.contentType ?? this.defaultType;
    let parsed: { value: string; params: Record<string, string> };
    try {
      parsed = libmime.parseHeaderValue(value);
    } catch {
      return { type: 'text', subtype: 'plain' };
    }
    const [type = '', subtype = ''] = String(parsed.value || '').toLowerCase().split('/');
    const boundary = parsed.params?.boundary;
    return { type: type.trim(), subtype: subtype.trim(), boundary: boundary ? String(boundary) : undefined };
  }

  /** A body line: a boundary of an open multipart starts the next part or closes it. */
  private bodyLine(text: string): void {
    const rest = text.slice(2).replace(/[ \t]+$/, '');
    let close = false;
    let at = this.open.get(rest);
    if (!at && rest.endsWith('--')) {
      at = this.open.get(rest.slice(0, -2));
      close = !!at;
    }
    if (!at?.length) return;
    const index = at[at.length - 1];
    const level = this.stack[index];
    this.popAbove(index);
    if (close) {
      this.popAbove(index - 1);
      return;
    }
    if (++this.parts > this.limits.maxMimeParts) return this.fail('maxMimeParts');
    this.inHeader = true;
    this.fieldSize = 0;
    this.capturingContentType = false;
    this.contentType = null;
    this.defaultType = level.boundary !== null && this.digest.has(index) ? 'message/rfc822' : 'text/plain';
  }

  /** Indexes of multipart/digest levels (their parts default to message/rfc822, RFC 2046 §5.1.5). */
  private readonly digest = new Set<number>();

  /** Closes every level above `index`. */
  private popAbove(index: number): void {
    while (this.stack.length - 1 > index) {
      const level = this.stack.pop()!;
      this.digest.delete(this.stack.length);
      if (level.boundary === null) continue;
      const list = this.open.get(level.boundary)!;
      list.pop();
      if (!list.length) this.open.delete(level.boundary);
    }
  }
}
