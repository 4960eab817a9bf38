/**
 * What a process knows of its place among the node's workers (supervisor.ts). A process
 * started without a supervisor is the only one: it is the lead and has no bus.
 */
import cluster from 'node:cluster';
import { WORKER_ENV } from './protocol.ts';
import { WorkerBus } from './worker-bus.ts';

export interface WorkerContext {
  /** 1, 2, … */
  id: number;
  /**
   * The lead carries the node's once-only duties: the config repository and its control
   * socket, the HTTP listener (config pushes), delivery, the cluster registration and the
   * virtual IP (plugins see it as api.lead). The others serve SMTP, POP3 and IMAP.
   */
  lead: boolean;
  bus: WorkerBus;
  /** For a worker other than the lead: the config file to run (the lead's running checkout). */
  configFile?: string;
  /** No other worker runs yet (the lead's first start): what a crash left can be cleaned up. */
  alone: boolean;
}

/** This process's context when a supervisor forked it, else null. */
export function workerContextFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerContext | null {
  if (!cluster.isWorker) return null;
  const id = Number(env[WORKER_ENV.id]);
  if (!Number.isInteger(id) || id < 1) return null;
  return { id, lead: env[WORKER_ENV.lead] === '1', bus: new WorkerBus(), configFile: env[WORKER_ENV.configFile] || undefined, alone: env[WORKER_ENV.alone] === '1' };
}
