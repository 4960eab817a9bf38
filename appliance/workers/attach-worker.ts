/**
 * What a worker process wires into the start-up (appliance/start.ts) so that the node's
 * workers act as one appliance: the store's notifications and locks, the connection counts
 * and the login penalty across workers; the lead wakes its delivery for mail the others queued
 * and tells them of every live apply, which they follow.
 */
import path from 'node:path';
import { loadConfig } from '../../core/config/load.ts';
import type { Logger } from '../../core/log.ts';
import type { EmbeddedOptions } from '../store/embedded/index.ts';
import type { SharedParts } from '../runtime/generation.ts';
import type { ConfigRuntime } from '../runtime/runtime.ts';
import { CONFIG_FILE } from '../config-repo/checkout.ts';
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
  // delivery runs in the lead: mail queued here wakes it at once instead of at its next poll
  if (!w.lead) shared.stores.queue.onEnqueue(() => w.bus.broadcast('queued', {}));
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

/** The lead's part: delivery woken by the others' mail, every live apply told to them. Returns the closer. */
export function leadTellsWorkers(w: WorkerContext, runtime: ConfigRuntime): () => void {
  const offQueued = w.bus.on('queued', () => runtime.delivery?.kick());
  const offApplied = runtime.onApplied((config, o) => {
    if (!o.configDir) return;
    w.bus.broadcast('apply', { configFile: path.join(o.configDir, CONFIG_FILE), label: o.label, workers: workerCount(config.node.workers) });
  });
  return () => {
    offQueued();
    offApplied();
  };
}

/** Another worker's part: apply what the lead applied; one that cannot exits to be started again on it. */
export function followTheLead(w: WorkerContext, runtime: ConfigRuntime, log: Logger): () => void {
  return w.bus.on('apply', ({ configFile, label }) => {
    void (async () => {
      const r = await loadConfig(configFile)
        .then((loaded) => runtime.apply(loaded.config, { configDir: path.dirname(configFile), label }))
        .catch((err: Error) => ({ ok: false as const, error: err.message }));
      if (r.ok) return;
      log.error({ worker: w.id, configFile, error: r.error }, 'worker cannot apply the config the lead applied; restarting on it');
      process.exit(EXIT_RESTART_ON_NEW_CONFIG);
    })();
  });
}
