/**
 * The seed's "keep a copy" folders (viruslog and the `Folder:` of a filter rule) for messages
 * the server refuses or changes: one `.eml` file a message, written to a temporary name,
 * fsync'd and renamed, so a copy is either whole or absent. Shared by mailfilter and antivirus.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The directory of a `Folder:` value: a seed Windows path (`C:\mail\viruslog`) keeps its last
 * component under `root`; an absolute POSIX path is used as is; anything else is under `root`.
 */
export function folderPath(root: string, folder: string | undefined): string {
  const f = (folder ?? '').trim() || 'viruslog';
  if (/^[A-Za-z]:[\\/]/.test(f) || f.includes('\\')) return path.join(root, f.split(/[\\/]/).filter(Boolean).pop() ?? 'viruslog');
  return path.isAbsolute(f) ? f : path.join(root, f);
}

/** The mailbox folder name for a per-account copy (last path component). */
export function mailboxFolder(folder: string | undefined): string {
  return (folder ?? '').split(/[\\/:]/).filter(Boolean).pop()?.trim() || 'viruslog';
}

export async function saveCopy(dir: string, id: string, content: Buffer): Promise<string> {
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
  const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${id.replace(/[^A-Za-z0-9_-]/g, '')}-${crypto.randomBytes(3).toString('hex')}.eml`;
  const tmp = path.join(dir, `.${name}.tmp`);
  const fh = await fs.promises.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  const file = path.join(dir, name);
  await fs.promises.rename(tmp, file);
  return file;
}
