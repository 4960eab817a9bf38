/**
 * Starts the appliance: config, data directory, store, TLS, plugins (appliance and Haraka),
 * then the listeners. Returns a handle that stops everything in order.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../core/config/load.ts';
import type { AppConfig } from '../core/config/schema.ts';
import { HookRunner } from '../core/hooks.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { loadPlugins, type PluginDefinition } from '../core/plugin.ts';
import { openEmbeddedStore } from './store/embedded/index.ts';
import { loadTlsMaterial } from './net/tls.ts';
import { DirectoryCache } from './delivery/directory-cache.ts';
import { DeliveryService } from './delivery/service.ts';
import { startSmtp, type SmtpService } from './smtp/server.ts';
import { startPop3, type Pop3Service } from './pop3/index.ts';
import { startImap, type ImapService } from './imap/index.ts';

export interface StartOptions {
  configFile?: string;
  dataDir?: string;
  /** A config object instead of a file (tests). */
  config?: AppConfig;
  log?: Logger;
}

export interface Appliance {
  config: AppConfig;
  dataDir: string;
  smtp: SmtpService;
  pop3: Pop3Service;
  imap: ImapService;
  /** The delivery service (null when delivery.enabled is false). */
  delivery: DeliveryService | null;
  close(): Promise<void>;
}

const PLUGIN_ROOT = new URL('../plugins/', import.meta.url);

async function resolvePlugin(name: string): Promise<PluginDefinition> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error('plugin names are lower-case letters, digits and dashes');
  const file = new URL(`${name}/index.ts`, PLUGIN_ROOT);
  if (!fs.existsSync(file)) throw new Error(`no plugins/${name}/index.ts`);
  const mod = (await import(file.href)) as { default: PluginDefinition };
  return mod.default;
}

export function defaultDataDir(): string {
  return path.resolve(process.env.MAILSERVER_DATA ?? './data');
}

export async function startAppliance(opts: StartOptions = {}): Promise<Appliance> {
  const { config, file } = opts.config ? { config: opts.config, file: null } : await loadConfig(opts.configFile ?? process.env.MAILSERVER_CONFIG);
  const dataDir = path.resolve(opts.dataDir ?? defaultDataDir());
  fs.mkdirSync(dataDir, { recursive: true });
  const log = opts.log ?? createLogger({ level: config.log.level });
  log.info({ config: file ?? '(defaults)', dataDir }, 'starting');

  // everything opened so far, closed in reverse order on shutdown or on a failed start
  const opened: (() => void | Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of opened.splice(0).reverse()) await close();
  };
  try {
    const stores = openEmbeddedStore(dataDir);
    opened.push(() => stores.close());
    const orphans = stores.mail.sweepOrphans();
    if (orphans) log.warn({ orphans }, 'removed message files left by an interrupted commit');
    const tls = await loadTlsMaterial(config, dataDir, log);
    const hooks = new HookRunner({ timeoutMs: config.hookTimeoutMs, log });
    opened.push(...(await loadPlugins(config.plugins, resolvePlugin, { hooks, config, stores, log, dataDir })));
    if (config.haraka.plugins.length) {
      // loaded only when used: the Haraka helper packages print to stdout when imported
      const { registerHarakaPlugins } = await import('../core/haraka/index.ts');
      const configDir = path.resolve(file ? path.dirname(file) : process.cwd(), config.haraka.configDir);
      for (const p of await registerHarakaPlugins(hooks, config.haraka.plugins, { configDir, log, hostname: config.hostname })) {
        log.info({ plugin: p.name, hooks: p.hooks, unsupported: p.unsupported }, 'haraka plugin loaded');
        opened.push(() => p.shutdown());
      }
    }
    const directory = new DirectoryCache(stores);
    // delivery starts before the listeners so that it is there for the first queued message, and
    // stops after them (closed in reverse order), when nothing new can be queued
    const delivery = config.delivery.enabled
      ? new DeliveryService({ config, stores, directory, log, dataDir, configDir: file ? path.dirname(file) : process.cwd(), hooks })
      : null;
    if (delivery) {
      await delivery.start();
      opened.push(() => delivery.stop());
    }
    const smtp = await startSmtp({ config, stores, hooks, tls, log, directory });
    opened.push(() => smtp.close());
    const pop3 = await startPop3({ config, stores, hooks, tls, log, hostname: config.hostname, hiddenIps: config.pop3.hiddenIps });
    opened.push(() => pop3.close());
    const imap = await startImap({ config, stores, hooks, tls, log, hostname: config.hostname });
    opened.push(() => imap.close());
    log.info('ready');
    return { config, dataDir, smtp, pop3, imap, delivery, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
