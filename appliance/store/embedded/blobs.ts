/**
 * Message bytes. Small messages live inside SQLite (committed with their index in one
 * fsync); large ones go to a file that is fsync'd, with its directory, before the index
 * row that points to it is committed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomHex } from '../../../core/random-hex.ts';
import type { Db } from './database.ts';
import { MessageContent } from '../../../core/store/content.ts';
import { threadRootOf } from '../../imap/message/object-ids.ts';
import { MessageGoneError } from '../../../core/errors.ts';

/** Messages up to this size are stored inline in the database. */
export const INLINE_LIMIT = 256 * 1024;

export interface PreparedBlob {
  id: string;
  size: number;
  data: Buffer | null;
  path: string | null;
  /** The thread root of its header (THREADID, imap/message/object-ids.ts threadRootOf). */
  threadRoot: string;
}

export function newBlobId(): string {
  return randomHex(12);
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.promises.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes a large blob's file durably (a spooled message is copied in pieces, never loaded);
 * small blobs need no I/O before the commit.
 */
export async function prepareBlob(blobDir: string, input: Buffer | MessageContent): Promise<PreparedBlob> {
  const id = newBlobId();
  const content = MessageContent.from(input);
  const threadRoot = threadRootOf(await content.header());
  if (content.size <= INLINE_LIMIT) return { id, size: content.size, data: await content.toBuffer(), path: null, threadRoot };
  const rel = path.join(id.slice(0, 2), id);
  const file = path.join(blobDir, rel);
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const fh = await fs.promises.open(file, 'wx', 0o600);
  try {
    await content.writeTo(fh);
    await fh.datasync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fs.promises.unlink(file).catch(() => undefined);
    throw err;
  } finally {
    await fh.close().catch(() => undefined);
  }
  await fsyncDir(path.dirname(file));
  return { id, size: content.size, data: null, path: rel, threadRoot };
}

export class BlobTable {
  private readonly insert;
  private readonly get;
  private readonly addRef;
  private readonly dropRef;
  private readonly remove;
  constructor(private readonly db: Db, private readonly blobDir: string) {
    this.insert = db.prepare('INSERT INTO blobs (id, size, data, path, refs, thread_root) VALUES (?, ?, ?, ?, ?, ?)');
    this.get = db.prepare<[string], { data: Buffer | null; path: string | null }>('SELECT data, path FROM blobs WHERE id = ?');
    this.addRef = db.prepare('UPDATE blobs SET refs = refs + ? WHERE id = ?');
    this.dropRef = db.prepare<[string], { refs: number; path: string | null }>('UPDATE blobs SET refs = refs - 1 WHERE id = ? RETURNING refs, path');
    this.remove = db.prepare<[string], { path: string | null }>('DELETE FROM blobs WHERE id = ? AND refs <= 1 RETURNING path');
  }

  /** Inside a transaction. */
  add(blob: PreparedBlob, refs: number): void {
    this.insert.run(blob.id, blob.size, blob.data, blob.path, refs, blob.threadRoot);
  }

  ref(id: string, n = 1): void {
    this.addRef.run(n, id);
  }

  /** Inside a transaction; returns a file to unlink after the commit, if any. */
  unref(id: string): string | null {
    // the last reference, the usual case, in one statement; a shared blob loses one reference
    const gone = this.remove.get(id);
    if (!gone) {
      this.dropRef.run(id);
      return null;
    }
    return gone.path ? path.join(this.blobDir, gone.path) : null;
  }

  /** The blob as content: a file range for a blob file (streamed by readers), else its bytes. */
  async content(id: string): Promise<MessageContent> {
    const row = this.get.get(id);
    if (!row) throw new MessageGoneError(id);
    if (row.data) return MessageContent.of(row.data);
    const file = path.join(this.blobDir, row.path!);
    try {
      const { size } = await fs.promises.stat(file);
      return MessageContent.file(file, size);
    } catch (err) {
      // the row was read just before the last reference went and the file was unlinked
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new MessageGoneError(id);
      throw err;
    }
  }

  async read(id: string): Promise<Buffer> {
    const row = this.get.get(id);
    if (!row) throw new MessageGoneError(id);
    if (row.data) return row.data;
    try {
      return await fs.promises.readFile(path.join(this.blobDir, row.path!));
    } catch (err) {
      // the row was read just before the last reference went and the file was unlinked
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new MessageGoneError(id);
      throw err;
    }
  }

  /** Removes files left by a crash between file write and commit. */
  /**
   * Removes message files no row names (left by an interrupted commit). While other workers
   * may be between writing a file and committing its row, only files older than `minAgeMs`
   * are taken (a commit follows its file within seconds).
   */
  sweepOrphans(minAgeMs = 0): number {
    if (!fs.existsSync(this.blobDir)) return 0;
    const before = Date.now() - minAgeMs;
    const known = new Set(
      (this.db.prepare('SELECT path FROM blobs WHERE path IS NOT NULL').all() as { path: string }[]).map((r) => r.path),
    );
    let removed = 0;
    for (const sub of fs.readdirSync(this.blobDir)) {
      for (const f of fs.readdirSync(path.join(this.blobDir, sub))) {
        const rel = path.join(sub, f);
        if (!known.has(rel)) {
          if (minAgeMs > 0 && fs.statSync(path.join(this.blobDir, rel), { throwIfNoEntry: false })?.mtimeMs! >= before) continue;
          fs.unlinkSync(path.join(this.blobDir, rel));
          removed++;
        }
      }
    }
    return removed;
  }
}
