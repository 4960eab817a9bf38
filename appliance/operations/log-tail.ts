/**
 * The lines of a log file written since a time, read backwards from its end in chunks until a
 * line older than that time (each line starts with its ISO time, so times compare as text), or
 * until `maxBytes` were read: the cost is the recent part of the file, however large the file
 * is. Asynchronous reads, so the event loop stays free while a large tail is read.
 */
import fs from 'node:fs/promises';

const CHUNK = 256 * 1024;

export interface Tail {
  /** The lines at or after `since`, oldest first. */
  lines: string[];
  /** The byte cap was reached before a line older than `since`: older lines of the window are missing. */
  truncated: boolean;
}

export async function linesSince(file: string, since: string, maxBytes: number): Promise<Tail> {
  let fh;
  try {
    fh = await fs.open(file, 'r');
  } catch {
    return { lines: [], truncated: false };
  }
  try {
    let pos = (await fh.stat()).size;
    const out: string[] = [];
    let carry = Buffer.alloc(0);
    let read = 0;
    while (pos > 0) {
      if (read >= maxBytes) return { lines: out.reverse(), truncated: true };
      // the last chunk stops at the cap: `maxBytes` below CHUNK is kept to the byte
      const n = Math.min(CHUNK, pos, maxBytes - read);
      pos -= n;
      const buf = Buffer.alloc(n);
      await fh.read(buf, 0, n, pos);
      read += n;
      // split on bytes (a UTF-8 sequence never contains 0x0a), decode whole lines only
      const data = Buffer.concat([buf, carry]);
      let end = data.length;
      for (let i = data.length - 1; i >= 0; i--) {
        if (data[i] !== 0x0a) continue;
        const line = data.subarray(i + 1, end).toString('utf8');
        end = i;
        if (!line) continue;
        if (line.slice(0, since.length) < since) return { lines: out.reverse(), truncated: false };
        out.push(line);
      }
      carry = data.subarray(0, end);
    }
    const first = carry.toString('utf8');
    if (first && first.slice(0, since.length) >= since) out.push(first);
    return { lines: out.reverse(), truncated: false };
  } finally {
    await fh.close();
  }
}
