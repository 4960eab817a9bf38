/**
 * The messages between the supervisor and its workers (Node's cluster IPC channel). A worker
 * never talks to another one directly: it sends to the supervisor, which answers requests
 * itself (the lock table) and relays broadcasts to every other worker, stamped with the sender.
 */
import type { MailboxChange } from '../../core/store/notifications.ts';

/** The environment a worker is forked with. */
export const WORKER_ENV = {
  /** 1, 2, …: the worker's number (stable across restarts of that worker). */
  id: 'MAILSERVER_WORKER_ID',
  /** '1' for the worker that carries the node's once-only duties (see WorkerContext.lead). */
  lead: 'MAILSERVER_WORKER_LEAD',
  /** For the other workers: the config file the lead runs (its checkout of the running commit). */
  configFile: 'MAILSERVER_WORKER_CONFIG',
  /** '1' for the lead's first start: no other worker runs yet (crash leftovers can be removed). */
  alone: 'MAILSERVER_WORKER_ALONE',
} as const;

/** Topics a worker broadcasts to the others. */
export interface Broadcasts {
  /** Committed mailbox changes (IMAP IDLE and unsolicited responses in other workers), each once. */
  change: { changes: MailboxChange[] };
  /** The accounts a worker's sessions started (on) or stopped (off) listening to for changes (shared-changes.ts). */
  listening: { on: number[]; off: number[] };
  /** A worker (re)started: the others tell it every account they listen to. */
  listeningQuery: Record<string, never>;
  /** Messages were queued for delivery (wakes the delivery engine in the lead). */
  queued: Record<string, never>;
  /** How a worker's connection counts moved since its last message (appliance/net/connection-gate.ts): [map, key, delta]. */
  counts: { moves: [string, string, number][] };
  /** A login failed or succeeded for an (IP, login) pair (appliance/auth/penalty.ts). */
  penalty: { outcome: 'fail' | 'succeed'; ip: string; login: string };
  /** A worker other than the lead refused or unrefused a client IP at runtime: the lead commits it to the config history. */
  refusedIp: { op: 'added' | 'removed'; ip: string; reason?: string };
  /** The lead applied a config: the other workers load this file and apply it too. */
  apply: { configFile: string; label?: string; workers: number };
}
export type Topic = keyof Broadcasts;
export interface BroadcastItem {
  topic: Topic;
  data: unknown;
}

/** Worker → supervisor. */
export type ToSupervisor =
  /** The worker serves; the lead says which config it runs and how many workers that config asks for. */
  | { t: 'ready'; configFile: string | null; workers: number }
  /** The broadcasts of one event-loop turn of the worker, in order (worker-bus.ts). */
  | { t: 'broadcast'; items: BroadcastItem[] }
  | { t: 'lock'; req: number; key: string; op: 'try' | 'unlock' }
  /** The lead asks for every worker's metrics (a scrape of /metrics); answered within timeoutMs with what came. */
  | { t: 'metrics'; req: number; timeoutMs: number }
  /** A worker's answer to metrics-collect: its registry as prom-client's JSON. */
  | { t: 'metrics-data'; req: number; metrics: unknown }
  /** Answer once everything the other workers had sent before this is relayed to me (sync-reply). */
  | { t: 'sync'; req: number };

/** Supervisor → worker. */
export type ToWorker =
  | { t: 'broadcast'; items: BroadcastItem[]; from: number }
  | { t: 'lock-reply'; req: number; ok: boolean }
  /** A worker is gone (died or stopped): what it counted is forgotten. */
  | { t: 'gone'; worker: number }
  /** Send your metrics (metrics-data with this req). */
  | { t: 'metrics-collect'; req: number }
  /** To the lead: the workers' metrics, and the workers that did not answer in time. */
  | { t: 'metrics-reply'; req: number; workers: MetricsOfWorker[]; missing: number[] }
  | { t: 'sync-reply'; req: number };

export interface MetricsOfWorker {
  id: number;
  metrics: unknown;
}

export function isMessage(m: unknown): m is { t: string } {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string';
}
