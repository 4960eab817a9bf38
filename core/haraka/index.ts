/**
 * The Haraka compatibility shim: runs published `haraka-plugin-*` packages (and plain Haraka
 * .js plugins) unmodified on the core hook chain.
 *
 *   const loaded = await registerHarakaPlugins(hooks, ['access', 'headers'], { configDir, log });
 */
export { registerHarakaPlugins, type HarakaShimOptions, type HarakaPluginInfo } from './runner.ts';
export { loadHarakaPlugin, registrationsOf, HarakaPlugin, type LoadOptions, type HookRegistration } from './plugin-loader.ts';
export { resolveHarakaPlugin, type ResolvedPlugin } from './resolve.ts';
export { harakaPluginList, pluginConfig } from './config.ts';
export { HOOK_SUPPORT, SUPPORTED_HOOKS, UNSUPPORTED_HOOKS, hookSupport, type HookSupport } from './hook-table.ts';
export { REPLIES, codeToVerdict, normalizeMessage } from './replies.ts';
export { connectionAdapter, HarakaConnection } from './connection.ts';
export { transactionAdapter, HarakaTransaction } from './transaction.ts';
export {
  CONT, STOP, DENY, DENYSOFT, DENYDISCONNECT, DISCONNECT, OK, NEXT_HOOK, DELAY, DENYSOFTDISCONNECT,
  DENY_CODES, installGlobals, translate,
} from './constants.ts';
