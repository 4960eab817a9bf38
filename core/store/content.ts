/**
 * Message bytes that need not be in memory. A message is a list of segments: Buffers (trace
 * headers, small messages) and byte ranges of a file (a DATA or APPEND spooled to disk, a
 * stored blob). Stores copy it to their own file by streaming; readers stream it or take its
 * header section. Only `toBuffer()` loads it whole (a plugin that needs the whole message).
 */
import fs from 'node:fs';
import { Readable } from 'node:stream';

export interface FileRange {
  file: string;
  start: number;
  /** Exclusive. */
  end: number;
}

export type Segment = Buffer | FileRange;

/** Read size for streamed file segments. */
export const CHUNK = 64 * 1024;

const segSize = (s: Segment) => (Buffer.isBuffer(s) ? s.length : s.end - s.start);

export class MessageContent {
  readonly size: number;
  private whole?: Buffer;

  constructor(readonly segments: readonly Segment[], private readonly headerBytes?: Buffer) {
    this.size = segments.reduce((n, s) => n + segSize(s), 0);
    if (segments.every(Buffer.isBuffer)) this.whole = segments.length === 1 ? (segments[0] as Buffer) : Buffer.concat(segments as Buffer[]);
  }

  static of(buf: Buffer): MessageContent {
    return new MessageContent([buf]);
  }

  /** A whole file (`size` bytes); `header` is its header section when the writer kept it. */
  static file(file: string, size: number, header?: Buffer): MessageContent {
    return new MessageContent(size ? [{ file, start: 0, end: size }] : [], header);
  }

  static from(x: Buffer | MessageContent): MessageContent {
    return Buffer.isBuffer(x) ? MessageContent.of(x) : x;
  }

  /** The whole message when it is held in memory, else undefined. */
  get buffer(): Buffer | undefined {
    return this.whole;
  }

  /** Segments from byte `from` on. */
  slice(from: number): MessageContent {
    const out: Segment[] = [];
    let pos = 0;
    for (const s of this.segments) {
      const n = segSize(s);
      if (pos + n > from) {
        const skip = Math.max(0, from - pos);
        out.push(Buffer.isBuffer(s) ? s.subarray(skip) : { file: s.file, start: s.start + skip, end: s.end });
      }
      pos += n;
    }
    return new MessageContent(out);
  }

  /** Prepends bytes (trace headers). */
  prepend(head: Buffer): MessageContent {
    return new MessageContent([head, ...this.segments]);
  }

  /**
   * The header section up to and including the empty line that ends it (or the first `limit`
   * bytes when none is found before them: the caller sees no empty line at its end).
   */
  async header(limit = 1024 * 1024): Promise<Buffer> {
    if (this.whole) return sliceHeader(this.whole, limit);
    if (this.headerBytes) return this.headerBytes;
    const parts: Buffer[] = [];
    let got = 0;
    for await (const chunk of this.stream({ highWaterMark: CHUNK })) {
      const b = chunk as Buffer;
      parts.push(b);
      got += b.length;
      const joined = Buffer.concat(parts);
      if (got >= limit || joined.indexOf('\r\n\r\n') >= 0 || (joined[0] === 0x0d && joined[1] === 0x0a)) return sliceHeader(joined, limit);
    }
    return sliceHeader(Buffer.concat(parts), limit);
  }

  /** The whole message as one stream (files read in CHUNK pieces with back-pressure). */
  stream(opts: { highWaterMark?: number; start?: number; end?: number } = {}): Readable {
    const hwm = opts.highWaterMark ?? CHUNK;
    const segments = opts.start || opts.end !== undefined ? this.range(opts.start ?? 0, opts.end ?? this.size).segments : this.segments;
    return Readable.from((async function* () {
      for (const s of segments) {
        if (Buffer.isBuffer(s)) {
          for (let i = 0; i < s.length; i += hwm) yield s.subarray(i, i + hwm);
        } else if (s.end > s.start) {
          yield* fs.createReadStream(s.file, { start: s.start, end: s.end - 1, highWaterMark: hwm }) as AsyncIterable<Buffer>;
        }
      }
    })(), { objectMode: false, highWaterMark: hwm });
  }

  /** Bytes [start, end). */
  range(start: number, end: number): MessageContent {
    const out: Segment[] = [];
    let pos = 0;
    for (const s of this.segments) {
      const n = segSize(s);
      const a = Math.max(start, pos);
      const b = Math.min(end, pos + n);
      if (b > a) out.push(Buffer.isBuffer(s) ? s.subarray(a - pos, b - pos) : { file: s.file, start: s.start + a - pos, end: s.start + b - pos });
      pos += n;
    }
    return new MessageContent(out);
  }

  /** Loads the whole message (a plugin that needs it all; bounded by the message size limit). */
  async toBuffer(): Promise<Buffer> {
    if (this.whole) return this.whole;
    const parts: Buffer[] = [];
    for (const s of this.segments) {
      if (Buffer.isBuffer(s)) parts.push(s);
      else if (s.end > s.start) {
        const fh = await fs.promises.open(s.file, 'r');
        try {
          const b = Buffer.allocUnsafe(s.end - s.start);
          let off = 0;
          while (off < b.length) {
            const { bytesRead } = await fh.read(b, off, b.length - off, s.start + off);
            if (!bytesRead) throw new Error(`${s.file}: shorter than expected`);
            off += bytesRead;
          }
          parts.push(b);
        } finally {
          await fh.close();
        }
      }
    }
    return Buffer.concat(parts);
  }

  /** Writes the message into an open file handle, piece by piece. */
  async writeTo(fh: fs.promises.FileHandle): Promise<void> {
    if (this.whole) {
      await fh.writeFile(this.whole);
      return;
    }
    for await (const chunk of this.stream()) await fh.write(chunk as Buffer);
  }
}

/** Header section of an in-memory message (see MessageContent.header). */
function sliceHeader(buf: Buffer, limit: number): Buffer {
  if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) return buf.subarray(0, 2);
  const end = buf.indexOf('\r\n\r\n');
  if (end >= 0 && end + 4 <= limit) return buf.subarray(0, end + 4);
  return buf.subarray(0, Math.min(buf.length, limit));
}

/**
 * The whole message of a transaction as a Buffer: `tx.message`, or the spooled content loaded
 * (bounded by smtp.maxMessageSize) for a plugin that cannot work on a stream or the header.
 */
export async function wholeMessage(tx: { message?: Buffer; content?: MessageContent }): Promise<Buffer | undefined> {
  if (tx.message) return tx.message;
  if (!tx.content) return undefined;
  return (tx.message = await tx.content.toBuffer());
}

/** The header section of a transaction's message (see MessageContent.header). */
export async function messageHeader(tx: { message?: Buffer; content?: MessageContent }): Promise<Buffer | undefined> {
  if (tx.message) return MessageContent.of(tx.message).header();
  return tx.content?.header();
}
