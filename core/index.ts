/** Public API for mailserver.config.ts and plugins. */
export { defineConfig } from './config/define.ts';
export type { AppConfig, UserConfig } from './config/schema.ts';
export { definePlugin, type PluginApi, type PluginDefinition, type PluginMode } from './plugin.ts';
export type { HookMap, HookName, HookHandler } from './hooks.ts';
export type { Verdict } from './verdict.ts';
export { next, accept, reject, tempfail, disconnect } from './verdict.ts';
export type { Connection, Transaction, Recipient, SessionState } from './session.ts';
export { ReplyError, ENHANCED } from './errors.ts';
export { WorkBusyError, WorkTimeoutError, type WorkPort, type WorkTask, type WorkOptions } from './work.ts';
export { MessageContent, wholeMessage, messageHeader } from './store/content.ts';
export { definePolicyTests, type PolicyTests, type PolicyCase, type PolicyExpectation } from './policy-tests.ts';
