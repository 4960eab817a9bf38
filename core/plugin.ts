/**
 * Plugin definition (definePlugin), and the loader that validates options and checks
 * dependencies before any plugin is set up.
 */
import { Value } from '@sinclair/typebox/value';
import type { Static, TSchema } from '@sinclair/typebox';
import type { HookHandler, HookName, HookRunner } from './hooks.ts';
import type { Logger } from './log.ts';
import type { Stores } from './store/ports.ts';
import type { AppConfig } from './config/schema.ts';
import { ConfigError } from './errors.ts';
import type { HttpRoutes } from './http.ts';
import type { ClusterRolePort } from './cluster.ts';
import type { Submit } from './submit.ts';
import { inlineWork, type WorkPort } from './work.ts';

/** The store ports a plugin can ask for (`definePlugin({ uses: [...] })`). */
export type StorePort = 'accounts' | 'domains' | 'aliases' | 'lists' | 'autoreply' | 'refusedIps';

/** The appliance settings a plugin may read (not the whole config: a plugin has its own options). */
export interface PluginSettings {
  /** The appliance's host name (smtp HELO, Received, notices). */
  readonly hostname: string;
  /** This node's name in a cluster. */
  readonly nodeName: string;
  /** The PostgreSQL store's URL when the store is PostgreSQL (ipwatcher's lease). */
  readonly postgresUrl?: string;
  /** The SMTP listeners (`host:port`, `*` for implicit TLS). */
  readonly smtpListen: readonly string[];
  /** The resolvers delivery uses (empty: the system's). */
  readonly dnsServers: readonly string[];
}

export interface PluginApi<O, U extends StorePort = never> {
  readonly name: string;
  readonly options: O;
  readonly settings: PluginSettings;
  /** The store ports the plugin declared in `uses`, and no other (a port the store lacks is undefined). */
  readonly stores: Pick<Stores, U>;
  readonly log: Logger;
  /** The appliance's data directory (for plugin files such as logs). */
  readonly dataDir: string;
  /** The folder of the config file: relative file names in plugin options are resolved from here. */
  readonly configDir: string;
  /**
   * Hands the appliance a message to deliver (core/submit.ts): recipients resolved as SMTP RCPT
   * does, local ones through the local_delivery hooks, the others queued. Use it for mail a
   * plugin makes (copies, notices, answers), not the store's mail port.
   */
  readonly submit: Submit;
  /** Register a hook; lower priority runs earlier (default 0). */
  hook<K extends HookName>(hook: K, handler: HookHandler<K>, opts?: { priority?: number }): void;
  /** HTTP routes on the appliance's HTTP(S) listener (absent where the host has none). */
  readonly http?: HttpRoutes;
  /** This node's part in the cluster (the virtual IP it holds); absent in a config check. */
  readonly cluster?: ClusterRolePort;
  /**
   * True in the process that carries this node's once-only duties; false in the node's other
   * worker processes, which run the same plugins for their sessions. Work that must happen
   * once per node (taking a virtual IP, a timer that sends mail) runs only where it is true.
   */
  readonly lead: boolean;
  /**
   * Runs CPU-heavy work (decoding, matching, hashing a message) on the process's work threads
   * (core/work.ts), so it cannot stall the other sessions. Errors: WorkBusyError (the queue is
   * full) and WorkTimeoutError (the task ran too long): give the message a temporary failure.
   */
  readonly work: WorkPort;
  /** Release resources on shutdown. */
  onClose(fn: () => void | Promise<void>): void;
  /**
   * `serve`: the plugin runs in the appliance. `check`: it is set up only to be checked (a push,
   * `mailserver config check`, policy tests) over a throw-away data directory — its set-up must
   * have no effect outside that check: no addresses or routes on the host, no listening sockets,
   * no timers that act, no files outside `dataDir`, no mail sent. Validate, register hooks, return.
   */
  readonly mode: PluginMode;
}

export type PluginMode = 'serve' | 'check';

export interface PluginDefinition<S extends TSchema = TSchema, U extends StorePort = StorePort> {
  name: string;
  /** Plugins that must be loaded (earlier in the list) for this one to work. */
  dependencies?: string[];
  /** The store ports the plugin uses; api.stores has these and no other. */
  uses?: readonly U[];
  options: S;
  setup(api: PluginApi<Static<S>, U>): void | Promise<void>;
}

export function definePlugin<S extends TSchema, U extends StorePort = never>(def: PluginDefinition<S, U>): PluginDefinition<S, U> {
  return def;
}

/** What a plugin is told of the appliance's config. */
export function pluginSettings(config: AppConfig): PluginSettings {
  return {
    hostname: config.hostname,
    nodeName: config.node.name,
    postgresUrl: config.store.kind === 'postgres' ? config.store.url : undefined,
    smtpListen: config.smtp.listen,
    dnsServers: config.delivery.dnsServers,
  };
}

/** Only the declared ports, so a plugin cannot reach the others at run time either. */
function declaredPorts(stores: Stores, uses: readonly StorePort[] | undefined): Partial<Stores> {
  const out: Partial<Stores> = {};
  for (const port of uses ?? []) (out as Record<string, unknown>)[port] = stores[port];
  return Object.freeze(out);
}

export interface PluginEntry {
  name: string;
  options?: unknown;
}

export interface LoadContext {
  hooks: HookRunner;
  config: AppConfig;
  stores: Stores;
  log: Logger;
  dataDir: string;
  /** The folder of the config file (default: the working directory). */
  configDir?: string;
  /** The HTTP route table, given to plugins as api.http. */
  http?: HttpRoutes;
  /** The generation's submit(), given to plugins as api.submit. */
  submit: Submit;
  /** This node's cluster role, given to plugins as api.cluster. */
  cluster?: ClusterRolePort;
  /** Given to plugins as api.lead (default true). */
  lead?: boolean;
  /** Default `serve`; `check` for a config check or policy tests (see PluginApi.mode). */
  mode?: PluginMode;
  /** Given to plugins as api.work (default: tasks run inline, in this thread). */
  work?: WorkPort;
}

/**
 * Validates every entry against its plugin's options schema and dependency list first, so a
 * bad plugin configuration stops start-up with every problem listed, then sets the plugins up
 * in order. Returns the close functions.
 */
export async function loadPlugins(
  entries: PluginEntry[],
  resolve: (name: string) => Promise<PluginDefinition>,
  ctx: LoadContext,
): Promise<(() => void | Promise<void>)[]> {
  const problems: { path: string; message: string }[] = [];
  const defs: { def: PluginDefinition; options: unknown }[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    let def: PluginDefinition;
    try {
      def = await resolve(entry.name);
    } catch (err) {
      problems.push({ path: `plugins[${i}].name`, message: `unknown plugin "${entry.name}": ${(err as Error).message}` });
      continue;
    }
    const options = Value.Default(def.options, structuredClone(entry.options ?? {}));
    // the first error of each path: TypeBox reports a missing array as "required" and "Expected array"
    const said = new Set<string>();
    for (const e of Value.Errors(def.options, options)) {
      const where = `plugins[${i}].options${e.path.replace(/\//g, '.')}`;
      if (!said.has(where)) problems.push({ path: where, message: e.message });
      said.add(where);
    }
    for (const dep of def.dependencies ?? []) {
      if (!seen.has(dep)) problems.push({ path: `plugins[${i}]`, message: `plugin "${def.name}" needs plugin "${dep}" listed before it` });
    }
    seen.add(def.name);
    defs.push({ def, options });
  }
  if (problems.length) throw new ConfigError('plugins', problems);
  const closers: (() => void | Promise<void>)[] = [];
  for (const { def, options } of defs) {
    const api: PluginApi<unknown> = {
      name: def.name,
      options,
      settings: pluginSettings(ctx.config),
      stores: declaredPorts(ctx.stores, def.uses) as Pick<Stores, never>,
      log: ctx.log.child({ plugin: def.name }),
      dataDir: ctx.dataDir,
      configDir: ctx.configDir ?? process.cwd(),
      http: ctx.http,
      cluster: ctx.cluster,
      lead: ctx.lead ?? true,
      submit: ctx.submit,
      work: ctx.work ?? inlineWork,
      hook: (hook, handler, opts) => ctx.hooks.register(hook, def.name, handler, opts?.priority ?? 0),
      onClose: (fn) => closers.push(fn),
      mode: ctx.mode ?? 'serve',
    };
    try {
      await def.setup(api as unknown as PluginApi<never, StorePort>);
    } catch (err) {
      // the plugins set up before this one are closed again: a failed start (or a refused live
      // apply) must not leave their timers, sockets or routes behind
      for (const close of closers.splice(0).reverse()) {
        try {
          await close();
        } catch (closeErr) {
          ctx.log.warn({ err: closeErr }, 'closing a plugin after a failed set-up failed');
        }
      }
      throw err;
    }
  }
  return closers;
}
