/**
 * Frames the client's byte stream into complete commands (RFC 3501 §4.3, §7.5): a line that
 * ends in `{n}` announces a synchronizing literal (the server answers "+" before the client
 * sends it), `{n+}` a non-synchronizing one (RFC 7888). Literals are collected with their
 * line, so a command leaves the reader whole. Line and literal sizes are bounded.
 */

import type { MessageContent } from '../../core/store/content.ts';
import type { SpoolWriter } from '../store/spool.ts';

/**
 * A literal over the spool threshold, written to a spool file as it arrived; in the command's
 * bytes it stands as an empty literal (`{0}`), and `spooled` lists them in order.
 */
export interface SpooledLiteral {
  size: number;
  /** The literal held a NUL byte (allowed only in a literal8). */
  nul: boolean;
  content: Promise<MessageContent>;
  /** Removes the spool file (the session calls it once the command is done). */
  dispose(): Promise<void>;
}

export interface LiteralSpool {
  /** Literals over this size are spooled. */
  threshold: number;
  open(): SpoolWriter;
  /** Every spooled literal, as it starts (the session removes what is left when it ends). */
  started(lit: SpooledLiteral): void;
}

export type ReaderEvent =
  | { kind: 'command'; data: Buffer; spooled?: SpooledLiteral[] }
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
  /** The literal being spooled, and those of this command that were. */
  private sink: { writer: SpoolWriter; lit: SpooledLiteral } | null = null;
  private spooled: SpooledLiteral[] = [];

  constructor(
    private readonly limits: ReaderLimits,
    /** Called when a synchronizing literal is accepted: send the continuation. */
    private readonly onContinue: () => void,
    /** The current literal limit (e.g. small before authentication). */
    private readonly literalLimit: () => number = () => limits.maxLiteralOctets,
    private readonly spool?: LiteralSpool,
  ) {}

  /** A spool write is under way: the caller should stop reading the socket until it is done. */
  get spoolBusy(): boolean {
    return !!this.sink?.writer.busy;
  }

  /** Drops what is buffered (STARTTLS: nothing sent before the handshake is executed). */
  clear(): number {
    const n = this.pendingSize + this.lineSize;
    this.pending = [];
    this.pendingSize = 0;
    this.line = [];
    this.lineSize = 0;
    this.literal = 0;
    this.dropSpooled();
    return n;
  }

  /** Removes the spool files of a command that was never completed. */
  dropSpooled(): void {
    for (const lit of this.spooled) void lit.dispose();
    if (this.sink) void this.sink.lit.dispose();
    this.spooled = [];
    this.sink = null;
  }

  push(chunk: Buffer): ReaderEvent[] {
    const out: ReaderEvent[] = [];
    let i = 0;
    while (i < chunk.length && !this.failed) {
      if (this.literal > 0) {
        const take = Math.min(this.literal, chunk.length - i);
        const piece = chunk.subarray(i, i + take);
        if (this.sink) {
          this.sink.writer.write(piece);
          if (!this.sink.lit.nul && piece.includes(0)) this.sink.lit.nul = true;
        } else {
          this.pending.push(piece);
          this.pendingSize += take;
        }
        this.literal -= take;
        i += take;
        if (this.literal === 0 && this.sink) this.endSpool();
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
      if (!this.spooled.length) return { kind: 'command', data: trimmed };
      const spooled = this.spooled;
      this.spooled = [];
      return { kind: 'command', data: trimmed, spooled };
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
    if (this.spool && size > this.spool.threshold) this.startSpool(raw, m[0], size);
    if (sync) this.onContinue();
    if (size === 0) return null;
    return null;
  }

  /** The literal goes to a spool file; the command's bytes get an empty literal in its place. */
  private startSpool(raw: Buffer, announcement: string, size: number): void {
    const line = this.pending.pop()!;
    const head = line.subarray(0, raw.length - Buffer.byteLength(announcement, 'latin1'));
    const empty = Buffer.concat([head, Buffer.from('{0}\r\n')]);
    this.pending.push(empty);
    this.pendingSize += empty.length - line.length;
    const writer = this.spool!.open();
    let content: Promise<MessageContent> | null = null;
    const lit: SpooledLiteral = {
      size,
      nul: false,
      get content() {
        return (content ??= writer.finish());
      },
      dispose: () => writer.dispose(),
    };
    this.sink = { writer, lit };
    this.spool!.started(lit);
  }

  private endSpool(): void {
    const { lit } = this.sink!;
    void lit.content.catch(() => undefined); // finished now; a failure is seen by the command
    this.spooled.push(lit);
    this.sink = null;
  }
}
