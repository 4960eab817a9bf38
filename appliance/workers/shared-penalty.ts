/** The failed-login penalty across the workers of a node (appliance/auth/penalty.ts). */
import type { AuthPenalty } from '../auth/penalty.ts';
import type { WorkerBus } from './worker-bus.ts';

export function sharePenalty(penalty: AuthPenalty, bus: WorkerBus): void {
  penalty.share = (outcome, ip, login) => bus.broadcast('penalty', { outcome, ip, login });
  bus.on('penalty', ({ outcome, ip, login }) => {
    if (outcome === 'fail') penalty.fail(ip, login, true);
    else penalty.succeed(ip, login, true);
  });
}
