/**
 * This node's part in the cluster, shared between the ipwatcher plugin (which decides who holds
 * the virtual IP) and the appliance (which records it and, for TX-7, runs delivery only on the
 * holder). One per running appliance, keyed by its data directory, so that tests can run several
 * appliances in one process.
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { ClusterRolePort } from '../../core/cluster.ts';

export class ClusterRole extends EventEmitter<{ change: [vip: string | null] }> implements ClusterRolePort {
  /** The virtual IP this node holds, or null. */
  vip: string | null = null;
  /** TX-7: set by the ipwatcher plugin's deliveryOnlyOnHolder option. */
  deliveryOnlyOnHolder = false;

  get holder(): boolean {
    return this.vip !== null;
  }

  setVip(vip: string | null): void {
    if (vip === this.vip) return;
    this.vip = vip;
    this.emit('change', vip);
  }
}

const roles = new Map<string, ClusterRole>();

export function clusterRole(dataDir: string): ClusterRole {
  const key = path.resolve(dataDir);
  let role = roles.get(key);
  if (!role) roles.set(key, (role = new ClusterRole()));
  return role;
}

export function forgetClusterRole(dataDir: string): void {
  roles.get(path.resolve(dataDir))?.removeAllListeners();
  roles.delete(path.resolve(dataDir));
}
