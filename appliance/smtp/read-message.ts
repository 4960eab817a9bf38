/**
 * Reads the DATA stream (already dot-unstuffed by smtp-server, which ends DATA only at
 * <CR><LF>.<CR><LF>, so <LF>.<CR><LF> cannot end it early). Bare LF is either refused or
 * normalized to CRLF (config smtp.bareLf), closing the SMTP smuggling vector for whatever
 * this appliance relays on to other servers. The bytes go to a SpoolWriter: in memory up to
 * its threshold, else to a spool file as they arrive, with back-pressure on the client.
 */
import type { Readable } from 'node:stream';
import type { MessageContent } from '../../core/store/content.ts';
import { SpoolWriter } from '../store/spool.ts';

export interface ReadResult {
  content: MessageContent;
  bareLf: boolean;
  /** The bad line ending found was a CR not followed by LF (bareLf is set too). */
  bareCr: boolean;
  /** smtp-server marks the stream when the size limit was exceeded. */
  sizeExceeded: boolean;
  /** Removes the spool file (call on every path once the message is stored or refused). */
  dispose(): Promise<void>;
}

export interface ReadOptions {
  spoolDir: string;
  /** Messages up to this size stay in memory. */
  spoolThreshold: number;
  /** 'normalize' writes bare CR/LF as CRLF; 'reject' only notes them (and keeps nothing after). */
  bareLf: 'reject' | 'normalize';
  /** Sees every chunk as received, in order (e.g. a header/MIME limit scanner); may throw to refuse. */
  observe?: (chunk: Buffer) => void;
  /** True once nothing more need be kept (e.g. a message limit was passed: it is read to its end and refused). */
  discard?: () => boolean;
  /** Aborts the read (the client went away): the promise rejects and the spool file is removed. */
  signal?: AbortSignal;
}

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from('\r\n');

/**
 * Streaming line-end normalizer: every LF not preceded by CR, and every CR not followed by LF,
 * becomes CRLF. A CR at the end of a chunk waits for the next one (`end()` settles it).
 */
export class LineEnds {
  private pendingCr = false;
  changed = false;
  /** The first bad line ending was a CR not followed by LF (not a bare LF). */
  bareCr = false;

  private mark(cr: boolean): void {
    if (!this.changed) this.bareCr = cr;
    this.changed = true;
  }

  push(chunk: Buffer): Buffer {
    const parts: Buffer[] = [];
    let i = 0;
    let span = 0;
    if (!chunk.length) return chunk;
    if (this.pendingCr) {
      this.pendingCr = false;
      parts.push(CRLF);
      if (chunk[0] === LF) i = span = 1;
      else this.mark(true);
    }
    for (; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === CR) {
        if (i + 1 === chunk.length) {
          parts.push(chunk.subarray(span, i));
          span = chunk.length;
          this.pendingCr = true;
        } else if (chunk[i + 1] === LF) i++;
        else {
          parts.push(chunk.subarray(span, i), CRLF);
          span = i + 1;
          this.mark(true);
        }
      } else if (c === LF) {
        parts.push(chunk.subarray(span, i), CRLF);
        span = i + 1;
        this.mark(false);
      }
    }
    if (!parts.length) return chunk;
    parts.push(chunk.subarray(span));
    return Buffer.concat(parts);
  }

  end(): Buffer {
    if (!this.pendingCr) return Buffer.alloc(0);
    this.pendingCr = false;
    this.mark(true);
    return CRLF;
  }
}

/** Replaces every LF not preceded by CR, and every CR not followed by LF, with CRLF. */
export function normalizeLineEndings(buf: Buffer): Buffer {
  const n = new LineEnds();
  const out = n.push(buf);
  const tail = n.end();
  return tail.length ? Buffer.concat([out, tail]) : out;
}

export function readMessage(stream: Readable & { sizeExceeded?: boolean }, o: ReadOptions): Promise<ReadResult> {
  const spool = new SpoolWriter(o.spoolDir, o.spoolThreshold, () => stream.resume());
  const ends = new LineEnds();
  return new Promise<ReadResult>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.resume(); // drain what is left, keep nothing
      void spool.dispose().finally(() => reject(err));
    };
    const onAbort = () => fail(new Error('client went away during DATA'));
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    // once a bare LF is seen in 'reject' mode, or the size or a message limit is passed, nothing is kept
    const keep = () => !(ends.changed && o.bareLf === 'reject') && !stream.sizeExceeded && !o.discard?.();
    const onData = (chunk: Buffer) => {
      try {
        o.observe?.(chunk);
      } catch (err) {
        return fail(err as Error);
      }
      const out = ends.push(chunk);
      if (keep()) spool.write(o.bareLf === 'normalize' ? out : chunk);
      if (spool.busy) stream.pause();
    };
    stream.on('data', onData);
    stream.once('error', (err) => fail(err));
    stream.once('end', () => {
      o.signal?.removeEventListener('abort', onAbort);
      if (settled) return;
      const tail = ends.end();
      if (o.bareLf === 'normalize' && keep()) spool.write(tail);
      spool.finish().then(
        (content) => {
          settled = true;
          resolve({ content, bareLf: ends.changed, bareCr: ends.bareCr, sizeExceeded: !!stream.sizeExceeded, dispose: () => spool.dispose() });
        },
        (err) => fail(err as Error),
      );
    });
  });
}
