/**
 * NodeRegistry for the embedded store: one JSON file a node in <dataDir>/cluster/nodes/, written
 * to a temporary name and renamed, so a reader never sees half a record.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NodeRecord, NodeRegistry } from './registry.ts';

const revive = (raw: Record<string, unknown>): NodeRecord => ({
  ...(raw as unknown as NodeRecord),
  startedAt: new Date(raw.startedAt as string),
  heartbeatAt: new Date(raw.heartbeatAt as string),
});

export class FileNodeRegistry implements NodeRegistry {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'cluster', 'nodes');
  }

  async put(record: NodeRecord): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = path.join(this.dir, `${record.name}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.promises.writeFile(tmp, JSON.stringify(record, null, 2), { mode: 0o600 });
    await fs.promises.rename(tmp, file);
  }

  async list(): Promise<NodeRecord[]> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.dir);
    } catch {
      return [];
    }
    const out: NodeRecord[] = [];
    for (const n of names.filter((f) => f.endsWith('.json')).sort()) {
      try {
        out.push(revive(JSON.parse(await fs.promises.readFile(path.join(this.dir, n), 'utf8')) as Record<string, unknown>));
      } catch { /* a record being replaced or damaged: skipped */ }
    }
    return out;
  }

  async remove(name: string): Promise<boolean> {
    try {
      await fs.promises.unlink(path.join(this.dir, `${name}.json`));
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {}
}
