/**
 * Haraka's return codes, read from haraka-constants itself (so they cannot drift), and their
 * installation as globals: Haraka plugins use `OK`, `DENY`, ... bare. Haraka does
 * `constants.import(global)` before it requires a packaged plugin and `constants.import(sandbox)`
 * for a plain .js plugin; the shim does the same.
 *
 * Values in haraka-constants 1.0.8: CONT 900, STOP 901, DENY 902, DENYSOFT 903,
 * DENYDISCONNECT 904, DISCONNECT 905, OK 906, NEXT_HOOK 907, DELAY 908, DENYSOFTDISCONNECT 909.
 */
import { requireFromRoot } from './modules.ts';

interface ConstantsModule {
  cont: number;
  stop: number;
  deny: number;
  denysoft: number;
  denydisconnect: number;
  disconnect: number;
  ok: number;
  next_hook: number;
  delay: number;
  denysoftdisconnect: number;
  import(target: object): void;
  translate(value: number): string;
  connection: { state: Record<string, number> };
}

const constants = requireFromRoot('haraka-constants') as ConstantsModule;

export const CONT = constants.cont;
export const STOP = constants.stop;
export const DENY = constants.deny;
export const DENYSOFT = constants.denysoft;
export const DENYDISCONNECT = constants.denydisconnect;
export const DISCONNECT = constants.disconnect;
export const OK = constants.ok;
export const NEXT_HOOK = constants.next_hook;
export const DELAY = constants.delay;
export const DENYSOFTDISCONNECT = constants.denysoftdisconnect;

/** Haraka's connection states (connection.state), e.g. CMD = 1, DISCONNECTING = 99. */
export const CONNECTION_STATE = constants.connection.state;

/** The codes after which Haraka runs the `deny` hook. */
export const DENY_CODES: ReadonlySet<number> = new Set([DENY, DENYSOFT, DENYDISCONNECT, DENYSOFTDISCONNECT]);

/** Name of a code for logs ('DENYSOFT'), 'UNKNOWN' when it is not one. */
export const translate = (code: number): string => constants.translate(code);

/** Haraka's `server` object (server.notes is shared by all plugins). */
export interface HarakaServer {
  notes: Record<string, unknown>;
  [key: string]: unknown;
}

/** Puts the constants on `target` in upper case, as haraka-constants' `import()` does. */
export function importConstants(target: object): void {
  constants.import(target);
}

/** Installs the constants and `server` as globals (idempotent); returns the shared server object. */
export function installGlobals(): HarakaServer {
  const g = globalThis as { server?: HarakaServer };
  importConstants(globalThis);
  g.server ??= { notes: {} };
  g.server.notes ??= {};
  return g.server;
}
