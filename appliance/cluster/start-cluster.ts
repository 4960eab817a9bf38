/**
 * The appliance's cluster wiring, called by start.ts once the listeners are up: records this node
 * in the registry (CF-2) and, when the ipwatcher plugin asks for it, lets delivery run only while
 * this node holds the virtual IP (TX-7). Returns the close function.
 */
import type { AppConfig } from '../../core/config/schema.ts';
import type { Logger } from '../../core/log.ts';
import type { DeliveryService } from '../delivery/service.ts';
import { ClusterNode, openNodeRegistry } from './node.ts';
import { clusterRole, forgetClusterRole } from './role.ts';

/** TX-7: before delivery starts, so a node that does not hold the VIP never claims a batch. */
export function gateDelivery(dataDir: string, delivery: DeliveryService | null): void {
  const role = clusterRole(dataDir);
  if (delivery && role.deliveryOnlyOnHolder) delivery.setActive(role.holder);
}

export async function startCluster(opts: {
  config: AppConfig;
  dataDir: string;
  log: Logger;
  delivery: DeliveryService | null;
  listeners: { host: string; port: number }[];
}): Promise<() => Promise<void>> {
  const role = clusterRole(opts.dataDir);
  const onChange = (vip: string | null) => {
    if (opts.delivery && role.deliveryOnlyOnHolder) opts.delivery.setActive(vip !== null);
  };
  role.on('change', onChange);
  gateDelivery(opts.dataDir, opts.delivery);
  const node = new ClusterNode(openNodeRegistry(opts.config, opts.dataDir), role, opts.log.child({ part: 'cluster' }), {
    config: opts.config,
    dataDir: opts.dataDir,
    listeners: opts.listeners.map((l) => `${l.host}:${l.port}`),
  });
  await node.start();
  return async () => {
    role.off('change', onChange);
    await node.close();
    forgetClusterRole(opts.dataDir);
  };
}
