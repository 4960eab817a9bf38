/**
 * Builds a Haraka plugin object the way Haraka's plugins.js does: an object whose prototype
 * offers register_hook / inherits / haraka_require / the log methods, with `name`, `config`
 * (haraka-config: package defaults, operator overrides), `hooks`, `base`, `timeout`, `server`.
 * A packaged plugin is required and its exports copied onto the object (constants installed as
 * globals first); a plain .js plugin runs in a vm sandbox whose `exports` is the object.
 * Then register() is called and every `hook_<name>` method is registered for hook <name>.
 */
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import type { Logger } from '../log.ts';
import { importConstants, installGlobals, type HarakaServer } from './constants.ts';
import { pluginConfig } from './config.ts';
import { installLogMethods, LOG_FIELDS, type HarakaLogMethods } from './log.ts';
import { requireFromRoot, type HarakaConfig } from './modules.ts';
import { resolveHarakaPlugin, type ResolvedPlugin } from './resolve.ts';

export interface LoadOptions {
  /** The operator's Haraka config folder (the files themselves: access.ini, ...). */
  configDir: string;
  log: Logger;
  /** Folder of local plugins (`<name>.js` or `<name>/package.json`), like Haraka's `<install>/plugins`. */
  pluginDir?: string;
}

/** One `register_hook` (or `hook_*` method): Haraka hook name, method, priority in [-100, 100]. */
export interface HookRegistration {
  hook: string;
  method: string;
  priority: number;
  /** Global registration order: ties in priority keep it, as in Haraka. */
  order: number;
}

interface Internals {
  source: ResolvedPlugin;
  opts: LoadOptions;
  log: Logger;
  registrations: HookRegistration[];
}

const internals = new WeakMap<object, Internals>();
let order = 0;

// Haraka core modules that plugins reach with haraka_require(); now published as packages.
const CORE_MODULES: Record<string, string> = {
  constants: 'haraka-constants',
  net_utils: 'haraka-net-utils',
  utils: 'haraka-utils',
  notes: 'haraka-notes',
  results: 'haraka-results',
  address: '@haraka/email-address',
  dsn: 'haraka-dsn',
  tld: 'haraka-tld',
};

function internalsOf(plugin: object): Internals {
  const int = internals.get(plugin);
  if (!int) throw new Error('not a Haraka plugin built by the shim');
  return int;
}

export interface HarakaPlugin extends HarakaLogMethods {}

export class HarakaPlugin {
  [key: string]: unknown;
  name: string;
  base: Record<string, HarakaPlugin> = {};
  hooks: Record<string, string[]> = {};
  /** Seconds before a hook of this plugin answers DENYSOFT 'plugin timeout' (<name>.timeout, plugin_timeout, 30). */
  timeout: number;
  config: HarakaConfig;
  server: HarakaServer;
  plugin_path: string;
  hasPackageJson: boolean;

  constructor(source: ResolvedPlugin, opts: LoadOptions) {
    this.name = source.name;
    this.plugin_path = source.file;
    this.hasPackageJson = source.kind === 'package';
    this.config = pluginConfig(opts.configDir, source.kind === 'package' ? source.dir : undefined);
    this.server = installGlobals();
    let timeout = parseFloat(this.config.get(`${source.name}.timeout`));
    if (Number.isNaN(timeout)) timeout = parseFloat(this.config.get('plugin_timeout'));
    this.timeout = Number.isNaN(timeout) ? 30 : timeout;
    internals.set(this, { source, opts, log: opts.log.child({ plugin: source.name }), registrations: [] });
  }

  /** Plugin lifecycle hook; a plugin's own register() replaces it. */
  register(): unknown {
    return undefined;
  }

  register_hook(hook_name: string, method_name: string, priority?: number | string): void {
    let p = parseInt(String(priority), 10);
    if (!p) p = 0;
    p = Math.max(-100, Math.min(100, p));
    (this.hooks[hook_name] ??= []).push(method_name);
    internalsOf(this).registrations.push({ hook: hook_name, method: method_name, priority: p, order: order++ });
    this.logdebug(`registered hook ${hook_name} to ${this.name}.${method_name} priority ${p}`);
  }

  /** Loads plugin `parent_name`, copies the methods this plugin lacks, runs its register() on this one. */
  inherits(parent_name: string): void {
    const int = internalsOf(this);
    const parent = compilePlugin(resolveHarakaPlugin(parent_name, { pluginDir: int.opts.pluginDir, fromDir: int.source.dir }), int.opts);
    for (const key in parent) {
      if (!this[key]) this[key] = parent[key];
    }
    if (typeof parent.register === 'function') parent.register.call(this);
    this.base[parent_name] = parent;
  }

  haraka_require(name: string): unknown {
    const bare = name.replace(/^\.\//, '').replace(/\.js$/, '');
    if (bare === 'config') return this.config;
    const pkg = CORE_MODULES[bare];
    if (pkg) return requireFromRoot(pkg);
    if (!name.startsWith('.')) return requireFromRoot(name);
    throw new Error(`haraka_require('${name}'): Haraka's internal module is not available in this appliance`);
  }

  core_require(name: string): unknown {
    return this.haraka_require(name);
  }

  [LOG_FIELDS](): Record<string, unknown> {
    return { plugin: this.name };
  }
}

installLogMethods(HarakaPlugin.prototype, (self: HarakaPlugin) => internalsOf(self).log);

/** The hooks a loaded plugin registered, in registration order. */
export function registrationsOf(plugin: HarakaPlugin): readonly HookRegistration[] {
  return internalsOf(plugin).registrations;
}

function sandboxRequire(plugin: HarakaPlugin, file: string): (id: string) => unknown {
  const local = createRequire(file);
  return (id: string) => {
    if (id === './config') return plugin.config;
    if (id.startsWith('.')) return local(id);
    try {
      return local(id);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
      return requireFromRoot(id);
    }
  };
}

/** Creates the plugin object and runs its code (no register()): Haraka's _load_and_compile_plugin. */
export function compilePlugin(source: ResolvedPlugin, opts: LoadOptions): HarakaPlugin {
  const plugin = new HarakaPlugin(source, opts);
  if (source.kind === 'package') {
    const mod = requireFromRoot(source.file) as Record<string, unknown>;
    for (const key in mod) plugin[key] = mod[key];
    return plugin;
  }
  // The "use strict" goes on the first line so stack traces keep the file's line numbers.
  const code = `"use strict";${fs.readFileSync(source.file, 'utf8')}`;
  const sandbox: Record<string, unknown> = {
    require: sandboxRequire(plugin, source.file),
    __filename: source.file,
    __dirname: path.dirname(source.file),
    exports: plugin,
    console,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    setImmediate,
    clearImmediate,
    process,
    Buffer,
    Math,
    server: plugin.server,
  };
  importConstants(sandbox);
  vm.runInNewContext(code, sandbox, { filename: source.file, displayErrors: true });
  return plugin;
}

/**
 * Waits for the Haraka helper modules that load their data asynchronously (haraka-tld reads
 * the public suffix list after require and exposes `ready`), wherever a plugin loaded a copy,
 * so the first connection does not see empty lists.
 */
export async function dependenciesReady(): Promise<void> {
  const pending: Promise<unknown>[] = [];
  for (const [file, mod] of Object.entries(requireFromRoot.cache)) {
    if (!/[\\/]haraka-tld[\\/]index\.js$/.test(file)) continue;
    const ready = (mod?.exports as { ready?: Promise<unknown> } | undefined)?.ready;
    if (ready && typeof ready.then === 'function') pending.push(ready);
  }
  await Promise.all(pending);
}

/**
 * Loads one Haraka plugin: resolves it (see resolve.ts), compiles it, waits for its helper
 * modules' data (dependenciesReady), calls register() (awaited when it returns a promise), then
 * registers its `hook_*` methods at priority 0 — after register(), as Haraka does, so hook_*
 * methods copied by inherits() count too.
 */
export async function loadHarakaPlugin(spec: string, opts: LoadOptions): Promise<HarakaPlugin> {
  installGlobals();
  const plugin = compilePlugin(resolveHarakaPlugin(spec, { pluginDir: opts.pluginDir }), opts);
  await dependenciesReady();
  const pending = plugin.register();
  if (pending && typeof (pending as Promise<unknown>).then === 'function') await pending;
  for (const key in plugin) {
    const m = /^hook_(\w+)$/.exec(key);
    if (m && typeof plugin[key] === 'function') plugin.register_hook(m[1], key);
  }
  return plugin;
}
