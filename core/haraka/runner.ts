/**
 * Registers Haraka plugins on the core HookRunner. Each Haraka hook registration becomes one
 * core hook handler (see hook-table.ts for the mapping) that returns a Promise<Verdict>:
 * it sets `connection.hook`, calls `plugin[method](next, connection, params)` (call.ts), runs
 * the `deny` hooks after a DENY* answer, and maps the answer with replies.ts. The handler is
 * registered under the Haraka plugin's short name, so the core runner's
 * `transaction.notes.skip_plugins` check applies to it.
 */
import os from 'node:os';
import type { HookHandler, HookName, HookRunner } from '../hooks.ts';
import type { Verdict } from '../verdict.ts';
import { callHarakaMethod } from './call.ts';
import { pluginConfig } from './config.ts';
import { connectionAdapter, type HarakaConnection } from './connection.ts';
import { CONNECTION_STATE, CONT, DENY_CODES, OK, installGlobals, translate } from './constants.ts';
import { hookSupport, type AnyCtx, type MappedHook } from './hook-table.ts';
import type { Address } from './modules.ts';
import { loadHarakaPlugin, registrationsOf, type HarakaPlugin, type HookRegistration, type LoadOptions } from './plugin-loader.ts';
import { codeToVerdict, normalizeMessage } from './replies.ts';

export interface HarakaShimOptions extends LoadOptions {
  /** connection.local.host; defaults to the `me` file of configDir, then os.hostname(). */
  hostname?: string;
  /**
   * Where this process stands among the node's workers, as Haraka's cluster mode has it:
   * init_master runs in the process with the node's once-only duties (lead), init_child in every
   * worker a supervisor forked (workers). Default: one process, init_master only (Haraka's nodes=0).
   */
  process?: { lead: boolean; workers: boolean };
}

export interface HarakaPluginInfo {
  /** Short name, used for hooks registration, results and skip_plugins. */
  name: string;
  /** Haraka hooks that run (mapped onto core hooks, or run by the shim: deny, init_master). */
  hooks: string[];
  /** Haraka hooks the plugin registered that the shim does not run (logged once at registration). */
  unsupported: string[];
  plugin: HarakaPlugin;
  /** Calls the plugin's shutdown() if it has one. */
  shutdown(): Promise<void>;
}

interface Entry {
  plugin: HarakaPlugin;
  reg: HookRegistration;
}

interface Shared {
  denies: Entry[];
  hostname: string;
}

const NEXT: Verdict = { kind: 'next' };
const byPriority = (a: Entry, b: Entry): number => a.reg.priority - b.reg.priority || a.reg.order - b.reg.order;
const rdnsAnswered = new WeakSet<HarakaConnection>();

function skipped(conn: HarakaConnection, plugin: string): boolean {
  const list = conn.transaction?.notes.skip_plugins;
  return Array.isArray(list) && list.includes(plugin);
}

/** Runs the deny hooks (params [code, msg, plugin, method, params, hook]); true when one answers OK. */
async function runDenyHooks(denies: Entry[], conn: HarakaConnection, params: unknown[]): Promise<boolean> {
  const saved = conn.hook;
  try {
    for (const { plugin, reg } of denies) {
      if (skipped(conn, plugin.name)) continue;
      conn.hook = 'deny';
      let code: number;
      try {
        ({ code } = await callHarakaMethod(plugin, reg.method, conn, params, 'deny'));
      } catch (err) {
        conn.logerror(plugin, `deny hook ${reg.method} failed`, err as Error);
        continue;
      }
      if (code !== CONT) return code === OK;
    }
    return false;
  } finally {
    conn.hook = saved;
  }
}

function subjectOf(hook: string, params: unknown): string {
  const addr = Array.isArray(params) ? (params[0] as Address | undefined) : undefined;
  if (!addr || (hook !== 'mail' && hook !== 'rcpt')) return '';
  return `${hook === 'mail' ? 'sender' : 'recipient'} ${addr.format()}`;
}

function handlerFor(plugin: HarakaPlugin, reg: HookRegistration, support: MappedHook, shared: Shared): HookHandler<HookName> {
  return async (rawCtx) => {
    const ctx = rawCtx as AnyCtx;
    if (support.applies && !support.applies(ctx)) return NEXT;
    const conn = connectionAdapter(ctx.conn, shared.hostname);
    if (reg.hook === 'lookup_rdns' && rdnsAnswered.has(conn)) return NEXT;
    if (reg.hook === 'disconnect') conn.state = CONNECTION_STATE.DISCONNECTING;
    conn.withTransaction(ctx.tx);
    const tx = conn.transaction;
    if (tx && ctx.rcpt) tx.pendingRcpt = ctx.rcpt;
    try {
      const params = support.params?.(ctx, conn);
      conn.hook = reg.hook;
      const answer = await callHarakaMethod(plugin, reg.method, conn, params, reg.hook);
      if (answer.code !== CONT) {
        ctx.conn.log.info(
          { plugin: plugin.name, hook: reg.hook, method: reg.method, retval: translate(answer.code), reply: normalizeMessage(answer.msg).text },
          'haraka hook answered',
        );
      }
      if (DENY_CODES.has(answer.code) && shared.denies.length) {
        const denyParams = [answer.code, answer.msg, plugin.name, reg.method, params, reg.hook];
        if (await runDenyHooks(shared.denies, conn, denyParams)) {
          conn.loginfo(plugin, 'deny(soft?) overridden by deny hook');
          return NEXT;
        }
      }
      if (reg.hook === 'lookup_rdns' && answer.code === OK) {
        rdnsAnswered.add(conn);
        // Haraka stores 'Unknown' for an OK without a name; the core keeps remoteHost unset instead.
        const host = normalizeMessage(answer.msg).text?.split('\n')[0];
        if (host) conn.remote.host = host;
        return NEXT;
      }
      const { verdict, known } = codeToVerdict(reg.hook, answer.code, answer.msg, subjectOf(reg.hook, params));
      if (!known) conn.logwarn(plugin, `unknown return code ${answer.code} from ${reg.method}: treated as CONT`);
      return verdict;
    } finally {
      if (tx) tx.pendingRcpt = undefined;
      conn.withTransaction(undefined);
    }
  };
}

/**
 * Loads the Haraka plugins `names` (in order, as in Haraka's config/plugins) and registers their
 * hooks on `hooks`. Hooks the shim cannot run are logged once each and listed in `unsupported`.
 * init_master hooks run before this returns. A plugin that cannot be found, fails to compile,
 * or registers a hook to a missing method stops the registration with an error naming it.
 */
export async function registerHarakaPlugins(hooks: HookRunner, names: string[], opts: HarakaShimOptions): Promise<HarakaPluginInfo[]> {
  const server = installGlobals();
  const hostname = opts.hostname || String(pluginConfig(opts.configDir).get('me') || '') || os.hostname();
  const plugins: HarakaPlugin[] = [];
  for (const name of names) {
    try {
      plugins.push(await loadHarakaPlugin(name, opts));
    } catch (err) {
      throw new Error(`Haraka plugin ${name}: ${(err as Error).message ?? String(err)}`, { cause: err });
    }
  }
  const entries: Entry[] = plugins.flatMap((plugin) => registrationsOf(plugin).map((reg) => ({ plugin, reg })));
  const shared: Shared = { denies: entries.filter((e) => e.reg.hook === 'deny').sort(byPriority), hostname };
  const infos = new Map<HarakaPlugin, HarakaPluginInfo>();
  for (const plugin of plugins) {
    infos.set(plugin, {
      name: plugin.name,
      hooks: [],
      unsupported: [],
      plugin,
      shutdown: async () => {
        if (typeof plugin.shutdown === 'function') await (plugin.shutdown as () => unknown).call(plugin);
      },
    });
  }
  for (const { plugin, reg } of entries) {
    if (typeof plugin[reg.method] !== 'function') {
      throw new Error(`Haraka plugin ${plugin.name}: hook ${reg.hook} is registered to ${reg.method}, which is not a function`);
    }
    const info = infos.get(plugin) as HarakaPluginInfo;
    const support = hookSupport(reg.hook);
    if (support.status === 'unsupported') {
      if (!info.unsupported.includes(reg.hook)) {
        info.unsupported.push(reg.hook);
        opts.log.warn({ plugin: plugin.name, hook: reg.hook, reason: support.note }, 'Haraka hook not supported by the shim: ignored');
      }
      continue;
    }
    if (!info.hooks.includes(reg.hook)) info.hooks.push(reg.hook);
    if (support.status === 'mapped') {
      hooks.register(support.core, plugin.name, handlerFor(plugin, reg, support, shared), reg.priority + (support.priorityOffset ?? 0));
    }
  }
  const { lead, workers } = opts.process ?? { lead: true, workers: false };
  const inits = [...(lead ? ['init_master'] : []), ...(workers ? ['init_child'] : [])];
  for (const hook of inits) {
    for (const { plugin, reg } of entries.filter((e) => e.reg.hook === hook).sort(byPriority)) {
      await callHarakaMethod(plugin, reg.method, server, undefined, hook);
    }
  }
  return [...infos.values()];
}
