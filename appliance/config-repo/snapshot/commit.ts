/** Writes a data snapshot into the config repository as one commit (or none when nothing changed). */
import type { ConfigRepository, CommitAuthor } from '../repository.ts';
import { formatSnapshot, isSnapshotPath, type Snapshot } from './format.ts';

/**
 * The changes that make HEAD's `data/` equal to `snapshot`: new and changed files, and null for
 * snapshot files HEAD has that the snapshot no longer does (a list without members).
 */
export async function snapshotChanges(repo: ConfigRepository, snapshot: Snapshot): Promise<Record<string, string | null>> {
  const next = formatSnapshot(snapshot);
  const head = await repo.files('HEAD');
  const changes: Record<string, string | null> = {};
  for (const [p, text] of Object.entries(next)) if (head[p]?.toString() !== text) changes[p] = text;
  for (const p of Object.keys(head)) if (isSnapshotPath(p) && !(p in next)) changes[p] = null;
  return changes;
}

/** Commits the snapshot; returns the new commit, or null when `data/` was already equal to it. */
export async function commitSnapshot(repo: ConfigRepository, snapshot: Snapshot, message: string, author: CommitAuthor): Promise<{ oid: string | null; changed: string[] }> {
  const changes = await snapshotChanges(repo, snapshot);
  const changed = Object.keys(changes).sort();
  if (!changed.length) return { oid: null, changed };
  return { oid: await repo.commit(changes, message, author), changed };
}
