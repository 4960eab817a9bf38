/**
 * What a worker process wires into the start-up (appliance/start.ts) so that the node's
 * workers act as one appliance: the store's notifications and locks, the connection counts
 * and the login penalty across workers; the lead tells the others of every live apply, which
 * they follow, and of its cluster role, which their delivery obeys (TX-7).
 */
import path from 'node:path';
import { loadConfig } from '../../core/config/load.ts';
import type { Logger } from '../../core/log.ts';
import type { EmbeddedOptions } from '../store/embedded/index.ts';
import type { SharedParts } from '../runtime/generation.ts';
import type { ConfigRuntime } from '../runtime/runtime.ts';
import { CONFIG_FILE } from '../config-repo/checkout.ts';
import { clusterRole } from '../cluster/role.ts';
import { tellRefusedIpChanges, type RefusedHistory } from '../config-repo/snapshot/refused-history.ts';
import type { WorkerContext } from './worker-context.ts';
import { WorkerChangeNotifier } from './shared-changes.ts';
import { WorkerSessionLocks } from './shared-locks.ts';
import { WorkerCounts } from './shared-counts.ts';
import { sharePenalty } from './shared-penalty.ts';
import { workerCount } from './count.ts';

/** Exit code of a worker that could not follow a live apply: the supervisor starts it again on the new config. */
export const EXIT_RESTART_ON_NEW_CONFIG = 75;

export function workerStoreOptions(w: WorkerContext): Pick<EmbeddedOptions, 'changes' | 'sessionLocks'> {
  return { changes: new WorkerChangeNotifier(w.bus), sessionLocks: new WorkerSessionLocks(w.bus) };
}

export function workerCounts(w: WorkerContext): WorkerCounts {
  return new WorkerCounts(w.bus);
}

export function shareWithWorkers(w: WorkerContext, shared: SharedParts, refusedHistory: RefusedHistory | null): void {
  sharePenalty(shared.auth.penalty, w.bus);
  // the config history is the lead's to write (MF-2)
  if (refusedHistory) {
    w.bus.on('refusedIp', ({ op, ip, reason }) => (op === 'added' ? refusedHistory.added(ip, reason ?? '') : refusedHistory.removed(ip)));
  } else if (shared.stores.refusedIps) {
    shared.stores.refusedIps = tellRefusedIpChanges(shared.stores.refusedIps, {
      added: (ip, reason) => w.bus.broadcast('refusedIp', { op: 'added', ip, reason }),
      removed: (ip) => w.bus.broadcast('refusedIp', { op: 'removed', ip }),
    });
  }
}

/** The lead's part: every live apply and every change of the cluster role told to the others. Returns the closer. */
export function leadTellsWorkers(w: WorkerContext, runtime: ConfigRuntime, dataDir: string): () => void {
  const role = clusterRole(dataDir);
  const tellRole = () => w.bus.broadcast('role', { vip: role.vip, deliveryOnlyOnHolder: role.deliveryOnlyOnHolder });
  role.on('change', tellRole);
  const offApplied = runtime.onApplied((config, o) => {
    // the ipwatcher of the new generation may have changed deliveryOnlyOnHolder
    tellRole();
    if (!o.configDir) return;
    w.bus.broadcast('apply', { configFile: path.join(o.configDir, CONFIG_FILE), label: o.label, workers: workerCount(config.node.workers) });
  });
  tellRole();
  return () => {
    role.off('change', tellRole);
    offApplied();
  };
}

/**
 * Another worker's part: deliver as the lead's cluster role allows (TX-7; while the lead is gone,
 * only if delivery does not follow the virtual IP), and apply what the lead applied; a worker
 * that cannot apply it exits to be started again on it. Returns the closer.
 */
export function followTheLead(w: WorkerContext, runtime: ConfigRuntime, dataDir: string, log: Logger): () => void {
  const role = clusterRole(dataDir);
  const offRole = w.bus.on('role', ({ vip, deliveryOnlyOnHolder }) => {
    role.deliveryOnlyOnHolder = deliveryOnlyOnHolder;
    role.setVip(vip);
    const active = !deliveryOnlyOnHolder || vip !== null;
    runtime.delivery?.setActive(active, !deliveryOnlyOnHolder ? 'delivery runs (told by the lead worker)' : undefined);
  });
  const offGone = w.bus.onGone((worker) => {
    if (worker === 1 && role.deliveryOnlyOnHolder) runtime.delivery?.setActive(false, 'delivery paused until the lead worker is back (it holds the virtual IP)');
  });
  const offApply = w.bus.on('apply', ({ configFile, label }) => {
    void (async () => {
      const r = await loadConfig(configFile)
        .then((loaded) => runtime.apply(loaded.config, { configDir: path.dirname(configFile), label }))
        .catch((err: Error) => ({ ok: false as const, error: err.message }));
      if (r.ok) return;
      log.error({ worker: w.id, configFile, error: r.error }, 'worker cannot apply the config the lead applied; restarting on it');
      process.exit(EXIT_RESTART_ON_NEW_CONFIG);
    })();
  });
  return () => {
    offRole();
    offGone();
    offApply();
  };
}
