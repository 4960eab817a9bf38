/**
 * CF-2: every node records itself in the shared store — name, build, config commit, start time,
 * last heartbeat, addresses, and whether it holds the virtual IP — so `mailserver status` can
 * list the cluster. Two implementations: a folder of JSON files beside the embedded store
 * (a shared work folder, as the seed's cluster had) and a table in the shared PostgreSQL.
 */
export interface NodeRecord {
  name: string;
  /** Build version (CF-2), e.g. `0.1.0+5308c83`. */
  version: string;
  /** The config commit (or config hash) this node runs. */
  configCommit: string;
  startedAt: Date;
  heartbeatAt: Date;
  /** The node's own addresses (listeners and interface addresses). */
  addresses: string[];
  /** The virtual IP this node holds (CL-2), or null. */
  vip: string | null;
  /** The process id, to tell a restarted node apart. */
  pid: number;
}

export interface NodeRegistry {
  /** Creates or replaces this node's record. */
  put(record: NodeRecord): Promise<void>;
  list(): Promise<NodeRecord[]>;
  /**
   * Nodes holding the ipwatcher's PostgreSQL lease right now, from the server's own lock table
   * (the truth even when a dead holder's record still names the VIP); undefined without PostgreSQL.
   */
  leaseHolders?(): Promise<string[]>;
  /** Forgets a node (operator clean-up after a node is retired). */
  remove(name: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Heartbeat age beyond which `status` calls a node down. */
export const DOWN_AFTER_MS = 30_000;

/** application_name of the ipwatcher's lease session: the prefix plus the node name. */
export { LEASE_APPLICATION } from '../../core/cluster.ts';
