/**
 * CL-2 failover without a shared database, the seed's IP Watcher scheme (network namespaces,
 * root only): the holder of the virtual IP is killed with SIGKILL mid-session; the client's retry
 * is accepted by the slave within 10 s; the slave gives the VIP back to the returning master
 * after its release cycle; never two holders. RX-9: the nodes' real IPs refuse.
 */
import t from 'tap';
import { killHolderScenario } from './helpers/cluster-failover.ts';

if (process.getuid?.() !== 0) {
  t.plan(0, 'needs root for network namespaces');
} else {
  t.test('failover with the seed\'s peer pings; the slave gives the VIP back', (t) => killHolderScenario(t, 'peers', 6));
}
