/**
 * Splits the client's byte stream into command lines (pure, no I/O). Accepts CRLF and bare
 * LF. A line longer than the limit is not buffered: its bytes are counted and dropped until
 * its end, then reported once as `overlong`, so a 100 KB line costs no memory. An unterminated
 * run past `maxDiscardOctets` is reported as `flood`, and the caller closes the connection.
 */

export type LineEvent =
  | { kind: 'line'; line: string }
  | { kind: 'overlong'; octets: number };

export type ReaderEvent = LineEvent | { kind: 'flood'; octets: number };

export interface LineReaderLimits {
  maxLineOctets: number;
  maxDiscardOctets: number;
}

const LF = 0x0a;
const CR = 0x0d;

export class LineReader {
  private pending: Buffer[] = [];
  private pendingOctets = 0;
  /** Octets of the overlong line being dropped; 0 while reading a normal line. */
  private discarded = 0;

  constructor(private readonly limits: LineReaderLimits) {}

  push(chunk: Buffer): ReaderEvent[] {
    const events: ReaderEvent[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(LF, start);
      const end = nl === -1 ? chunk.length : nl;
      this.take(chunk.subarray(start, end));
      if (nl === -1) {
        if (this.discarded > this.limits.maxDiscardOctets) {
          events.push({ kind: 'flood', octets: this.discarded });
          this.clear();
        }
        break;
      }
      events.push(this.finishLine());
      start = nl + 1;
    }
    return events;
  }

  /** Drops everything not yet returned (STLS: nothing sent before the handshake may survive it). */
  clear(): number {
    const dropped = this.pendingOctets + this.discarded;
    this.pending = [];
    this.pendingOctets = 0;
    this.discarded = 0;
    return dropped;
  }

  private take(piece: Buffer): void {
    if (this.discarded > 0) {
      this.discarded += piece.length;
      return;
    }
    this.pending.push(piece);
    this.pendingOctets += piece.length;
    // +1: the CR of a CRLF is still in the buffer until the LF arrives
    if (this.pendingOctets > this.limits.maxLineOctets + 1) {
      this.discarded = this.pendingOctets;
      this.pending = [];
      this.pendingOctets = 0;
    }
  }

  private finishLine(): LineEvent {
    if (this.discarded > 0) {
      const octets = this.discarded;
      this.discarded = 0;
      return { kind: 'overlong', octets };
    }
    let line = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingOctets = 0;
    if (line.length && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    if (line.length > this.limits.maxLineOctets) return { kind: 'overlong', octets: line.length };
    return { kind: 'line', line: line.toString('utf8') };
  }
}
