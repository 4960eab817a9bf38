/**
 * Frames the client's byte stream into complete commands (RFC 3501 §4.3, §7.5): a line that
 * ends in `{n}` announces a synchronizing literal (the server answers "+" before the client
 * sends it), `{n+}` a non-synchronizing one (RFC 7888). Literals are collected with their
 * line, so a command leaves the reader whole. Line and literal sizes are bounded.
 */

export type ReaderEvent =
  | { kind: 'command'; data: Buffer }
  /** A synchronizing literal was refused: the client will not send it; answer the tag. */
  | { kind: 'refused'; tag: string; size: number }
  /** Unrecoverable: a line or non-synchronizing literal over the limit. Close the connection. */
  | { kind: 'fatal'; reason: 'line' | 'literal' };

export interface ReaderLimits {
  maxLineOctets: number;
  /** Largest literal accepted; `literalLimit()` may lower it (before login). */
  maxLiteralOctets: number;
}

export class CommandReader {
  private pending: Buffer[] = [];
  private pendingSize = 0;
  private line: Buffer[] = [];
  private lineSize = 0;
  /** Bytes of literal still expected. */
  private literal = 0;
  private failed = false;

  constructor(
    private readonly limits: ReaderLimits,
    /** Called when a synchronizing literal is accepted: send the continuation. */
    private readonly onContinue: () => void,
    /** The current literal limit (e.g. small before authentication). */
    private readonly literalLimit: () => number = () => limits.maxLiteralOctets,
  ) {}

  /** Drops what is buffered (STARTTLS: nothing sent before the handshake is executed). */
  clear(): number {
    const n = this.pendingSize + this.lineSize;
    this.pending = [];
    this.pendingSize = 0;
    this.line = [];
    this.lineSize = 0;
    this.literal = 0;
    return n;
  }

  push(chunk: Buffer): ReaderEvent[] {
    const out: ReaderEvent[] = [];
    let i = 0;
    while (i < chunk.length && !this.failed) {
      if (this.literal > 0) {
        const take = Math.min(this.literal, chunk.length - i);
        this.pending.push(chunk.subarray(i, i + take));
        this.pendingSize += take;
        this.literal -= take;
        i += take;
        continue;
      }
      const nl = chunk.indexOf(0x0a, i);
      const end = nl < 0 ? chunk.length : nl + 1;
      this.line.push(chunk.subarray(i, end));
      this.lineSize += end - i;
      i = end;
      if (nl < 0) {
        if (this.lineSize > this.limits.maxLineOctets) {
          this.failed = true;
          out.push({ kind: 'fatal', reason: 'line' });
        }
        break;
      }
      const ev = this.endOfLine();
      if (ev) out.push(ev);
    }
    return out;
  }

  private endOfLine(): ReaderEvent | null {
    const raw = Buffer.concat(this.line);
    this.line = [];
    this.lineSize = 0;
    if (raw.length > this.limits.maxLineOctets) {
      this.failed = true;
      return { kind: 'fatal', reason: 'line' };
    }
    const m = /\{(\d{1,10})(\+?)\}\r?\n$/.exec(raw.subarray(Math.max(0, raw.length - 16)).toString('latin1'));
    this.pending.push(raw);
    this.pendingSize += raw.length;
    if (!m) {
      const data = Buffer.concat(this.pending);
      this.pending = [];
      this.pendingSize = 0;
      const trimmed = data.subarray(0, data.length - (data.length >= 2 && data[data.length - 2] === 0x0d ? 2 : 1));
      return { kind: 'command', data: trimmed };
    }
    const size = Number(m[1]);
    const sync = m[2] !== '+';
    if (size > this.literalLimit() || this.pendingSize + size > this.limits.maxLiteralOctets + this.limits.maxLineOctets * 4) {
      if (!sync) {
        this.failed = true;
        return { kind: 'fatal', reason: 'literal' };
      }
      const head = Buffer.concat(this.pending);
      this.pending = [];
      this.pendingSize = 0;
      const sp = head.indexOf(0x20);
      return { kind: 'refused', tag: (sp > 0 ? head.subarray(0, sp) : head).toString('latin1'), size };
    }
    this.literal = size;
    if (sync) this.onContinue();
    if (size === 0) return null;
    return null;
  }
}
