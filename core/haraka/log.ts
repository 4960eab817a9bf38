/**
 * Haraka's log methods (logdebug, loginfo, ... logemerg) on plugins and connections, written
 * to the appliance's pino logger. Haraka's logger takes any mix of arguments: a plugin
 * (anything with a `name`), a connection or transaction, strings, objects of key/values and
 * errors; the same mix is turned here into one pino record.
 */
import { types } from 'node:util';
import type { Logger } from '../log.ts';

export const LOG_LEVELS = {
  logdata: 'trace',
  logprotocol: 'trace',
  logdebug: 'debug',
  loginfo: 'info',
  lognotice: 'info',
  logwarn: 'warn',
  logerror: 'error',
  logcrit: 'fatal',
  logalert: 'fatal',
  logemerg: 'fatal',
} as const;

export type HarakaLogMethod = keyof typeof LOG_LEVELS;
export type HarakaLogMethods = Record<HarakaLogMethod, (...args: unknown[]) => void>;

/**
 * An object that knows how it appears in a log record (plugin, connection, transaction)
 * exposes its fields under this symbol.
 */
export const LOG_FIELDS = Symbol('haraka.logFields');

interface HasLogFields {
  [LOG_FIELDS](): Record<string, unknown>;
}

const RESERVED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'err']);

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}

/** Writes one Haraka-style log call to `log`. */
export function harakaLog(log: Logger, method: HarakaLogMethod, args: readonly unknown[]): void {
  const level = LOG_LEVELS[method];
  if (!log.isLevelEnabled(level)) return;
  const fields: Record<string, unknown> = {};
  const words: string[] = [];
  for (const arg of args) {
    if (arg === null || arg === undefined) continue;
    if (typeof arg !== 'object' && typeof arg !== 'function') {
      words.push(String(arg));
      continue;
    }
    const own = (arg as Partial<HasLogFields>)[LOG_FIELDS];
    if (typeof own === 'function') Object.assign(fields, own.call(arg));
    else if (types.isNativeError(arg)) fields.err = arg;
    else if (typeof (arg as { name?: unknown }).name === 'string') fields.plugin = (arg as { name: string }).name;
    else if (Array.isArray(arg)) words.push(arg.map(String).join(' '));
    else if (isPlainObject(arg)) {
      for (const [k, v] of Object.entries(arg)) if (!RESERVED.has(k)) fields[k] = v;
    } else words.push(String(arg));
  }
  log[level](fields, words.join(' '));
}

/** Defines the ten Haraka log methods on a prototype; each logs with `this` as first argument. */
export function installLogMethods(proto: object, loggerOf: (self: any) => Logger): void {
  for (const method of Object.keys(LOG_LEVELS) as HarakaLogMethod[]) {
    Object.defineProperty(proto, method, {
      value: function (this: object, ...args: unknown[]) {
        harakaLog(loggerOf(this), method, [this, ...args]);
      },
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}
