/**
 * Free space under the data directory. Below `smtp.queueMinFreeBytes` (Postfix
 * `queue_minfree`) new mail is refused before it is sent — `452 4.3.1` at MAIL FROM, `NO
 * [OVERQUOTA]` on IMAP APPEND — instead of failing after the whole DATA; a write that still hits
 * ENOSPC is answered the same way.
 *
 * A disk that filled up must not keep the appliance from starting: SQLite needs room for its
 * shared-memory file even to open the database. So the appliance keeps a reserve file in the data
 * directory (`.disk-reserve`, RESERVE_BYTES, made at a start with enough room) and releases it at
 * a start below the threshold, with a warning naming the directory and the space left — the
 * "ballast file" of CockroachDB and others.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../core/log.ts';

export const RESERVE_FILE = '.disk-reserve';
export const RESERVE_BYTES = 2 * 1024 * 1024;

/** Bytes an unprivileged writer may still use on the file system holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const st = await fs.promises.statfs(dir);
  return st.bavail * st.bsize;
}

/** A write failed because the disk (or the user's disk quota) is full: ENOSPC, EDQUOT, SQLite's SQLITE_FULL. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}

/** Answers "is there room for new mail" for the listeners; logs when space runs out and when it is back. */
/**
 * Far above the threshold, one statfs answers for this long (a busy listener asks at every MAIL
 * FROM); within MARGIN_BYTES of it every check asks the file system again.
 */
const REUSE_MS = 250;
const MARGIN_BYTES = 256 * 1024 * 1024;

export class DiskGuard {
  private low = false;
  private known: { free: number; at: number } | null = null;
  private asking: Promise<number> | null = null;

  constructor(readonly dataDir: string, readonly minFreeBytes: number, private readonly log: Logger) {}

  /** Null when there is room (or the check is off), else the free bytes left. */
  async short(): Promise<number | null> {
    if (!this.minFreeBytes) return null;
    let free: number;
    if (this.known && Date.now() - this.known.at < REUSE_MS && this.known.free - this.minFreeBytes > MARGIN_BYTES) {
      free = this.known.free;
    } else {
      // the sessions that ask while a statfs is under way share it
      this.asking ??= freeBytes(this.dataDir).finally(() => (this.asking = null));
      try {
        free = await this.asking;
      } catch {
        return null; // cannot tell: let the write itself decide
      }
      this.known = { free, at: Date.now() };
    }
    const low = free < this.minFreeBytes;
    if (low !== this.low) {
      this.low = low;
      if (low) this.log.warn({ dataDir: this.dataDir, free, minFree: this.minFreeBytes }, `disk nearly full: ${free} bytes free under ${this.dataDir} (smtp.queueMinFreeBytes ${this.minFreeBytes}); new mail is refused until space is freed`);
      else this.log.info({ dataDir: this.dataDir, free }, `disk space back: ${free} bytes free under ${this.dataDir}; accepting mail again`);
    }
    return low ? free : null;
  }
}

/**
 * At start, before the store opens: with less than RESERVE_BYTES free, release the reserve file;
 * below the threshold, warn naming the directory; with room for it, (re)make the reserve file.
 */
export async function prepareDiskAtStart(dataDir: string, minFreeBytes: number, log: Logger): Promise<void> {
  const reserve = path.join(dataDir, RESERVE_FILE);
  let free: number;
  try {
    free = await freeBytes(dataDir);
  } catch {
    return;
  }
  const hasReserve = fs.existsSync(reserve);
  const release = hasReserve && free < RESERVE_BYTES;
  if (release) fs.rmSync(reserve, { force: true });
  if (free < Math.max(minFreeBytes, RESERVE_BYTES)) {
    log.warn({ dataDir, free, minFree: minFreeBytes, releasedReserve: release },
      `disk nearly full: only ${free} bytes free under ${dataDir}` +
      (release ? `; released the ${RESERVE_BYTES}-byte reserve file ${reserve} so the appliance can start` : '') +
      (free < minFreeBytes ? `. Mail is refused (452 4.3.1, IMAP APPEND NO [OVERQUOTA]) until ${minFreeBytes} bytes are free (smtp.queueMinFreeBytes)` : ''));
  }
  if (hasReserve || free < 2 * RESERVE_BYTES) return;
  try {
    fs.writeFileSync(reserve, Buffer.alloc(RESERVE_BYTES), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    fs.rmSync(reserve, { force: true });
    log.warn({ err, file: reserve }, 'could not make the disk reserve file');
  }
}
