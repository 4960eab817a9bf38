/**
 * `<dataDir>/workers.json`: the supervisor's account of its workers, rewritten on every change,
 * for `mailserver status` (which runs in another process).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface WorkerStatus {
  id: number;
  pid: number;
  lead: boolean;
  /** When this process of the worker started (ISO). */
  startedAt: string;
  /** How often the supervisor restarted this worker. */
  restarts: number;
  state: 'starting' | 'serving' | 'restarting';
}

export interface WorkersStatus {
  supervisor: number;
  startedAt: string;
  workers: WorkerStatus[];
}

export const WORKERS_FILE = 'workers.json';

export function writeWorkersStatus(dataDir: string, status: WorkersStatus): void {
  const file = path.join(dataDir, WORKERS_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(status, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The status the running supervisor wrote, or null when no supervisor of this data directory runs. */
export function readWorkersStatus(dataDir: string): WorkersStatus | null {
  let status: WorkersStatus;
  try {
    status = JSON.parse(fs.readFileSync(path.join(dataDir, WORKERS_FILE), 'utf8')) as WorkersStatus;
  } catch {
    return null;
  }
  try {
    process.kill(status.supervisor, 0);
  } catch {
    return null;
  }
  return status;
}

export function removeWorkersStatus(dataDir: string): void {
  fs.rmSync(path.join(dataDir, WORKERS_FILE), { force: true });
}
