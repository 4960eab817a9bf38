/**
 * Reads the DATA stream (already dot-unstuffed by smtp-server, which ends DATA only at
 * <CR><LF>.<CR><LF>, so <LF>.<CR><LF> cannot end it early). Bare LF is either refused or
 * normalized to CRLF (config smtp.bareLf), closing the SMTP smuggling vector for whatever
 * this appliance relays on to other servers.
 */
import type { Readable } from 'node:stream';

export interface ReadResult {
  message: Buffer;
  bareLf: boolean;
  /** The bad line ending found was a CR not followed by LF (bareLf is set too). */
  bareCr: boolean;
  /** smtp-server marks the stream when the size limit was exceeded. */
  sizeExceeded: boolean;
}

/** Replaces every LF not preceded by CR, and every CR not followed by LF, with CRLF. */
export function normalizeLineEndings(buf: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x0a && (i === 0 || buf[i - 1] !== 0x0d)) out.push(0x0d, 0x0a);
    else if (c === 0x0d && buf[i + 1] !== 0x0a) out.push(0x0d, 0x0a);
    else out.push(c);
  }
  return Buffer.from(out);
}

export function readMessage(stream: Readable & { sizeExceeded?: boolean }): Promise<ReadResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bareLf = false;
    let bareCr = false;
    let prev = 0;
    stream.on('data', (chunk: Buffer) => {
      if (!bareLf) {
        for (let i = 0; i < chunk.length; i++) {
          const c = chunk[i];
          const before = i === 0 ? prev : chunk[i - 1];
          if ((c === 0x0a && before !== 0x0d) || (before === 0x0d && c !== 0x0a && i > 0)) {
            bareLf = true;
            bareCr = c !== 0x0a;
            break;
          }
        }
        prev = chunk[chunk.length - 1] ?? prev;
      }
      chunks.push(chunk);
    });
    stream.once('error', reject);
    stream.once('end', () => resolve({ message: Buffer.concat(chunks), bareLf, bareCr, sizeExceeded: !!stream.sizeExceeded }));
  });
}
