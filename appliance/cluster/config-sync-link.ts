/**
 * What the config service (appliance/config-repo/service.ts) and cluster config sync
 * (config-sync.ts) give each other: the service says when it applied a commit (to publish it),
 * and hands over its own check-and-apply path for commits published by other nodes, so a
 * follower applies exactly as a push would (schema, plugin options, policy tests, live apply).
 */
import type { CommitAuthor } from '../config-repo/repository.ts';

export interface AdoptRequest {
  /** The cluster-wide id (the publishing node's oid); names the checkout directory. */
  id: string;
  files: Record<string, Buffer>;
  message: string;
  author: CommitAuthor;
  /** For logs, e.g. `cluster commit 1a2b3c4 from node1`. */
  label: string;
}

/** Checks and applies a published commit; on success commits its tree here and returns the local oid. */
export type AdoptFn = (req: AdoptRequest, say: (line: string) => void) => Promise<{ ok: boolean; oid?: string }>;

export interface ConfigClusterLink {
  /** A commit was applied here (a push, a rollback or restore): publish it once it is on main. */
  applied(oid: string, label: string): void;
  /** The service's apply path, for commits from other nodes. */
  attach(adopt: AdoptFn): void;
}
