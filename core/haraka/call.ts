/**
 * Calls one Haraka hook method, `plugin[method](next, connection, params)`, and turns its
 * `next(code, msg)` callback into a promise (DESIGN.md convention 6):
 *  - next() or next(CONT) resolves CONT; a falsy code is CONT, as in Haraka;
 *  - a second next() is logged with a stack trace and ignored;
 *  - a throw (or a rejected promise from an async method) before next() rejects, so the core
 *    runner answers a temporary failure; a throw after next() is only logged;
 *  - the plugin's own timeout (`<name>.timeout`, `plugin_timeout`, 30 s) resolves
 *    DENYSOFT 'plugin timeout', as Haraka does; later calls of next() are ignored silently.
 */
import { types } from 'node:util';
import { CONT, DENYSOFT, translate } from './constants.ts';
import { LOG_FIELDS } from './log.ts';
import type { HarakaPlugin } from './plugin-loader.ts';

export interface HookAnswer {
  code: number;
  msg?: unknown;
}

export function callHarakaMethod(
  plugin: HarakaPlugin,
  method: string,
  target: object,
  params: unknown,
  hook: string,
): Promise<HookAnswer> {
  // Log lines carry the connection's id when the target is a connection (not the server object).
  const about = LOG_FIELDS in target ? [target] : [];
  const logerror = (...args: unknown[]): void => plugin.logerror(...about, ...args);
  return new Promise<HookAnswer>((resolve, reject) => {
    let done = false;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (answer: HookAnswer): void => {
      done = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const next = (code?: number, msg?: unknown): void => {
      if (done) {
        if (!timedOut) {
          logerror(`${plugin.name}.${method} called next() more than once on hook ${hook} (${translate(code || CONT)}) - ignored`);
          logerror(new Error('next() called twice').stack ?? '');
        }
        return;
      }
      finish({ code: code || CONT, msg });
    };
    const fail = (err: unknown): void => {
      if (done) {
        logerror(`${plugin.name}.${method} failed after calling next() on hook ${hook}`, types.isNativeError(err) ? err : String(err));
        return;
      }
      done = true;
      clearTimeout(timer);
      // errors thrown in a vm sandbox are Errors of another realm: keep them as they are
      reject(types.isNativeError(err) ? err : new Error(String(err)));
    };
    if (plugin.timeout > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        plugin.logcrit(...about, `plugin ${plugin.name} timed out on hook ${hook} - make sure it calls the callback`);
        finish({ code: DENYSOFT, msg: 'plugin timeout' });
      }, plugin.timeout * 1000);
      timer.unref?.();
    }
    const fn = plugin[method];
    try {
      if (typeof fn !== 'function') throw new TypeError(`${plugin.name}.${method} is not a function`);
      const result: unknown = fn.call(plugin, next, target, params);
      if (result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(undefined, fail);
    } catch (err) {
      fail(err);
    }
  });
}
