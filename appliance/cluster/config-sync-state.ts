/**
 * This node's side of config sync, in `<dataDir>/cluster-config.json`: the last published commit
 * it took (its `seq` and cluster-wide id) and which of its own commits hold which published
 * commit. A follower writes the published tree as its own commit, whose oid differs (committer
 * time), so status and logs translate the local oid to the published id with `clusterIdOf`.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface SyncState {
  /** The newest published commit this node has taken (applied, or started on). */
  seq: number;
  /** Its cluster-wide id (the publishing node's oid). */
  id: string;
  /** Local oid -> cluster-wide id, newest last (a few kept). */
  ids: Record<string, string>;
}

const FILE = 'cluster-config.json';
const KEEP = 20;

export function readSyncState(dataDir: string): SyncState | null {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(dataDir, FILE), 'utf8')) as SyncState;
    return typeof s.seq === 'number' && typeof s.id === 'string' && s.ids && typeof s.ids === 'object' ? s : null;
  } catch {
    return null;
  }
}

/** Records that published commit `seq`/`id` is the local commit `local`. */
export function writeSyncState(dataDir: string, seq: number, id: string, local: string): SyncState {
  const prev = readSyncState(dataDir);
  const ids = { ...(prev?.ids ?? {}) };
  delete ids[local];
  ids[local] = id;
  const keys = Object.keys(ids);
  for (const k of keys.slice(0, Math.max(0, keys.length - KEEP))) delete ids[k];
  const next: SyncState = { seq: Math.max(seq, prev?.seq ?? 0), id: seq >= (prev?.seq ?? 0) ? id : prev!.id, ids };
  const file = path.join(dataDir, FILE);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(next, null, 1) + '\n', { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
  return next;
}

/** The cluster-wide id of a local commit (itself when it was published from here or never published). */
export function clusterIdOf(dataDir: string, local: string): string {
  return readSyncState(dataDir)?.ids[local] ?? local;
}
