/**
 * One config generation: the config, its TLS material, its hooks with the plugins (appliance
 * and Haraka) that registered them, and its SMTP, POP3 and IMAP listeners. Sessions stay with
 * the generation that accepted them; the store, the delivery queue and the change notifier
 * are shared by every generation (never reopened).
 */
import type { WorkPort } from '../../core/work.ts';
import { metrics } from '../metrics/index.ts';
import path from 'node:path';
import type { AppConfig } from '../../core/config/schema.ts';
import { HookRunner } from '../../core/hooks.ts';
import type { Logger } from '../../core/log.ts';
import { loadPlugins } from '../../core/plugin.ts';
import type { Stores } from '../../core/store/ports.ts';
import { ConfigError, UsageError } from '../../core/errors.ts';
import type { DirectoryCache } from '../recipients/directory-cache.ts';
import type { RouteTable } from '../http/routes.ts';
import type { SocketSource } from '../net/session-listeners.ts';
import { loadTlsMaterial, secureContext, type TlsMaterial } from '../net/tls.ts';
import { ReceiveLog } from '../smtp/receive-log.ts';
import { startSmtp, type SmtpService } from '../smtp/server.ts';
import { startPop3, type Pop3Service } from '../pop3/index.ts';
import type { MaildropLocks } from '../pop3/maildrop.ts';
import { startImap, type ImapService } from '../imap/index.ts';
import { resolvePlugin } from './resolve-plugin.ts';
import { DiskGuard } from '../store/disk-space.ts';
import type { AuthGuard } from '../auth/guard.ts';
import type { ConnectionGate } from '../net/connection-gate.ts';
import { clusterRole } from '../cluster/role.ts';
import { createSubmit } from '../submit/submit.ts';

/** What every generation shares. */
export interface SharedParts {
  stores: Stores;
  directory: DirectoryCache;
  log: Logger;
  dataDir: string;
  /** The login guard of every service: failures and hashing counted once for the process. */
  auth: AuthGuard;
  /** Per-IP and per-user counts and the fd reserve, for every service and generation. */
  gate: ConnectionGate;
  /** Where messages being received wait (this worker's own folder when there are several). */
  spoolDir: string;
  /**
   * This process carries the node's once-only duties (delivery, the virtual IP: plugins see
   * api.lead); false in the other workers of a node (appliance/workers/).
   */
  lead: boolean;
  /** This process is one of the workers of a supervisor (appliance/workers/). */
  supervised: boolean;
  /** The process's work-thread pool (appliance/runtime/work-pool.ts); none: tasks run inline. */
  work?: WorkPort;
}

export interface Generation {
  readonly number: number;
  readonly config: AppConfig;
  /** Where the config's relative paths are found. */
  readonly configDir: string;
  readonly tls: TlsMaterial;
  readonly hooks: HookRunner;
  readonly routes: RouteTable;
  readonly smtp: SmtpService;
  readonly pop3: Pop3Service;
  readonly imap: ImapService;
  /** Sessions (SMTP, POP3, IMAP) still open on this generation. */
  openSessions(): number;
  /** Ends the sessions left: SMTP gets `graceMs` before 421, POP3 and IMAP are told at once. */
  closeSessions(graceMs?: number): Promise<void>;
  /** Shuts the plugins down (after the sessions and the delivery attempts that use them). */
  closePlugins(): Promise<void>;
}

export interface BuildOptions {
  number: number;
  config: AppConfig;
  configDir: string;
  shared: SharedParts;
  sockets: SocketSource;
  routes: RouteTable;
  /** POP3 maildrop locks, shared by every generation. */
  pop3Locks: MaildropLocks;
}

/**
 * A part of the config that did not come up, named (`smtp: smtp.listen[1] 127.0.0.1:25:
 * EADDRINUSE`): a user-facing error (the CLI prints the message, no stack trace).
 */
export class BuildError extends UsageError {}

async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // a plugin's invalid options: as at start-up, every problem with its path
    if (err instanceof ConfigError || err instanceof BuildError) throw err;
    throw new BuildError(`${what}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Builds a generation; whatever of it was opened is closed again when a part fails. */
export async function buildGeneration(o: BuildOptions): Promise<Generation> {
  const { config, shared } = o;
  const { stores, log, dataDir, directory, auth, gate } = shared;
  const closers: (() => void | Promise<void>)[] = [];
  const services: { closeSessions: (graceMs: number) => Promise<void> }[] = [];
  const closePlugins = async () => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        log.warn({ err }, 'plugin shutdown failed');
      }
    }
  };
  try {
    const tls = await step('tls', async () => {
      const material = await loadTlsMaterial(config, dataDir, log);
      try {
        secureContext(material); // a key or certificate that does not parse fails here, named as TLS
      } catch (err) {
        throw new Error(`tls.cert ${config.tls.cert ?? '(self-signed)'}, tls.key ${config.tls.key ?? '(self-signed)'}: ${(err as Error).message}`);
      }
      return material;
    });
    const hooks = new HookRunner({ timeoutMs: config.hookTimeoutMs, log, metrics });
    await step('plugins', async () => {
      // (when a plugin's setup throws, loadPlugins closes the ones set up before it)
      closers.push(...(await loadPlugins(config.plugins, resolvePlugin, { hooks, config, stores, log, dataDir, configDir: o.configDir, http: o.routes, cluster: clusterRole(dataDir), lead: shared.lead, work: shared.work, submit: createSubmit({ config, hooks, stores, directory, log }) })));
    });
    if (config.haraka.plugins.length) {
      await step('haraka.plugins', async () => {
        // loaded only when used: the Haraka helper packages print to stdout when imported
        const { registerHarakaPlugins } = await import('../../core/haraka/index.ts');
        const configDir = path.resolve(o.configDir, config.haraka.configDir);
        for (const p of await registerHarakaPlugins(hooks, config.haraka.plugins, { configDir, log, hostname: config.hostname, process: { lead: shared.lead, workers: shared.supervised } })) {
          log.info({ plugin: p.name, hooks: p.hooks, unsupported: p.unsupported }, 'haraka plugin loaded');
          closers.push(() => p.shutdown());
        }
      });
    }
    // free space under the data directory, checked at MAIL FROM and APPEND
    const disk = new DiskGuard(dataDir, config.smtp.queueMinFreeBytes, log);
    // LG-1: in the node's log folder, beside the delivery logs
    const receiveLog = config.smtp.receiveLog ? new ReceiveLog(dataDir, config.delivery.logs.node ?? config.node.name, log, config.smtp.receiveLogFieldMax) : undefined;
    if (receiveLog) closers.unshift(() => receiveLog.close());
    const smtp = await step('smtp', () => startSmtp({ config, stores, hooks, tls, log, directory, disk, spoolDir: shared.spoolDir, auth, gate, receiveLog }, o.sockets));
    services.push({ closeSessions: (g) => smtp.close(g) });
    const pop3 = await step('pop3', () =>
      startPop3({ config, stores, hooks, tls, log, hostname: config.hostname, hiddenIps: config.pop3.hiddenIps, sockets: o.sockets, locks: o.pop3Locks, auth, gate }),
    );
    services.push({ closeSessions: () => pop3.close() });
    const imap = await step('imap', () => startImap({ config, stores, hooks, tls, log, hostname: config.hostname, sockets: o.sockets, spoolDir: shared.spoolDir, disk, auth, gate }));
    services.push({ closeSessions: () => imap.close() });
    return {
      number: o.number,
      config,
      configDir: o.configDir,
      tls,
      hooks,
      routes: o.routes,
      smtp,
      pop3,
      imap,
      openSessions: () => smtp.openSessions() + pop3.openSessions() + imap.openSessions(),
      closeSessions: async (graceMs) => {
        await Promise.all(services.map((s) => s.closeSessions(graceMs ?? 30_000)));
      },
      closePlugins,
    };
  } catch (err) {
    await Promise.all(services.map((s) => s.closeSessions(0)));
    await closePlugins();
    throw err;
  }
}
