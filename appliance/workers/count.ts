/** How many workers `node.workers` asks for: 'auto' is the cores this process may run on. */
import os from 'node:os';

export function workerCount(setting: number | 'auto'): number {
  return setting === 'auto' ? Math.max(1, os.availableParallelism()) : setting;
}
