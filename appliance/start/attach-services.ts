/**
 * Start-up step 6, once the listeners serve: the config service (push to apply, the control
 * socket) and, with a PostgreSQL store, config sync across nodes; then this node's record in the
 * cluster registry, with delivery following the virtual IP (CF-2, CL-2, TX-7).
 */
import { startConfigService } from '../config-repo/service.ts';
import { recordApply } from '../config-repo/apply-journal.ts';
import { clientSettings } from '../autoconfig/servers.ts';
import { startConsole } from '../console/index.ts';
import { ClusterConfigSync } from '../cluster/config-sync.ts';
import { startCluster } from '../cluster/start-cluster.ts';
import type { HttpService } from '../http/server.ts';
import type { ConfigRuntime } from '../runtime/runtime.ts';
import type { SharedParts } from '../runtime/generation.ts';
import type { LoadedConfig } from './load-config.ts';
import type { Closers } from './closers.ts';

export interface Serving {
  loaded: LoadedConfig;
  shared: SharedParts;
  runtime: ConfigRuntime;
  http: HttpService;
}

export async function attachServices(s: Serving, opened: Closers): Promise<void> {
  const { config, log } = s.loaded;
  const { dataDir, stores, auth } = s.shared;
  const repository = s.loaded.source.repository;
  const runtime = s.runtime;
  if (repository) {
    const configSync = config.store.kind === 'postgres' && config.node.shareConfig
      ? new ClusterConfigSync({ url: config.store.url, node: config.node.name, dataDir, repo: repository.repo, log })
      : undefined;
    const configService = await startConfigService({
      repo: repository.repo, dataDir, stores, http: s.http, log, running: () => runtime.config, apply: (next, o) => runtime.apply(next, o), auth, cluster: configSync,
    });
    opened.push(() => configService.close());
    // the operator console (/admin/), beside /config.git/: it commits and rolls back through the config service
    opened.push(startConsole(s.http, {
      dataDir, stores, running: () => runtime.config, guard: auth, log: log.child({ service: 'console' }),
      repo: repository.repo, configRequest: configService.request, tls: () => runtime.generation.tls,
      clientSettings: () => clientSettings(runtime.config, runtime.generation),
    }));
    if (configSync) opened.push(await configSync.start());
    // this start runs the repository's HEAD: `config log` marks it, `config rollback` comes back to it
    recordApply(dataDir, { commit: repository.head, result: 'applied', label: 'start' });
  }
  opened.push(await startCluster({ config, dataDir, log, delivery: runtime.delivery, listeners: runtime.generation.smtp.listeners }));
}
