/**
 * What a plugin sees of this node's part in the cluster (the appliance's ClusterRole,
 * appliance/cluster/role.ts): which virtual IP it holds, and whether delivery runs only on the
 * holder (TX-7). The ipwatcher plugin decides and sets it; the appliance reads it.
 */
export interface ClusterRolePort {
  /** The virtual IP this node holds, or null. */
  readonly vip: string | null;
  readonly holder: boolean;
  /** TX-7: delivery runs only on the node that holds the virtual IP. */
  deliveryOnlyOnHolder: boolean;
  setVip(vip: string | null): void;
}

/**
 * The PostgreSQL `application_name` prefix of a node's leadership lease connection
 * (`mailserver-ipwatcher:<node>`): the cluster registry lists the lease holders by it.
 */
export const LEASE_APPLICATION = 'mailserver-ipwatcher:';
