/**
 * The spool: where a message being received (SMTP DATA, IMAP APPEND) waits until it is
 * committed. Up to `threshold` bytes it stays in memory; past that it is written, as it
 * arrives, to a 0600 file in `<dataDir>/spool` (memory per session does not grow with the
 * message). The store copies the file into its own blob and fsyncs that, so the spool file
 * itself needs no fsync; it is removed on every path (stored, refused, error, disconnect), and
 * whatever a crash left is removed at start (cleanSpool).
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { MessageContent } from '../../core/store/content.ts';

export const SPOOL_DIR = 'spool';

export function spoolDirOf(dataDir: string): string {
  return path.join(dataDir, SPOOL_DIR);
}

/** Removes what an earlier run left in the spool; returns how many files. */
export function cleanSpool(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let n = 0;
  for (const f of fs.readdirSync(dir)) {
    fs.rmSync(path.join(dir, f), { force: true, recursive: true });
    n++;
  }
  return n;
}

export class SpoolWriter {
  private mem: Buffer[] = [];
  private size = 0;
  private file: string | null = null;
  private fh: fs.promises.FileHandle | null = null;
  private opening: Promise<void> | null = null;
  private writing: Promise<void> = Promise.resolve();
  private pending = 0;
  private failed: Error | null = null;
  private disposed = false;

  /** `onIdle` is called when the writes that `busy` reported have been written. */
  constructor(private readonly dir: string, private readonly threshold: number, private readonly onIdle: () => void = () => undefined) {}

  /** Bytes written to the file but not yet done: the caller should pause its source. */
  get busy(): boolean {
    return this.pending > 0;
  }

  get spooled(): boolean {
    return this.file !== null;
  }

  write(chunk: Buffer): void {
    if (this.disposed || this.failed || !chunk.length) return;
    this.size += chunk.length;
    if (!this.file && this.size <= this.threshold) {
      this.mem.push(chunk);
      return;
    }
    if (!this.file) {
      this.file = path.join(this.dir, `${Date.now()}-${crypto.randomBytes(8).toString('hex')}`);
      const first = [...this.mem, chunk];
      this.mem = [];
      this.opening = (async () => {
        await fs.promises.mkdir(this.dir, { recursive: true, mode: 0o700 });
        this.fh = await fs.promises.open(this.file!, 'wx', 0o600);
      })();
      this.enqueue(Buffer.concat(first));
      return;
    }
    this.enqueue(chunk);
  }

  private enqueue(chunk: Buffer): void {
    this.pending++;
    this.writing = this.writing.then(async () => {
      try {
        if (this.failed) return;
        await this.opening;
        await this.fh!.write(chunk);
      } catch (err) {
        this.failed ??= err as Error;
      } finally {
        if (--this.pending === 0) this.onIdle();
      }
    });
  }

  /** Every byte written: the message, in memory or as the spool file. */
  async finish(): Promise<MessageContent> {
    await this.writing;
    if (this.failed) throw this.failed;
    if (!this.file) return MessageContent.of(this.mem.length === 1 ? this.mem[0] : Buffer.concat(this.mem));
    await this.fh!.close();
    this.fh = null;
    return MessageContent.file(this.file, this.size);
  }

  /** Removes the spool file (idempotent); the content from finish() is unusable after it. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.mem = [];
    await this.writing;
    await this.opening?.catch(() => undefined);
    if (this.fh) await this.fh.close().catch(() => undefined);
    this.fh = null;
    if (this.file) await fs.promises.unlink(this.file).catch(() => undefined);
  }
}
