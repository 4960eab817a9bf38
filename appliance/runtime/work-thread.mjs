// The entry point of a work-pool thread (appliance/runtime/work-pool.ts). Plain JavaScript, as
// a worker thread does not inherit the TypeScript loader the process registered (bin/
// mailserver.js registers tsx through its API, and even `node --import tsx` leaves a piscina
// thread without it on Node 20): it registers tsx here, then runs the task's named export.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();

/** module URL -> its namespace, imported once per thread. */
const modules = new Map();

/**
 * One task: `{ id, module, name, input }` (core/work.ts WorkTask plus its input). The pool is
 * told when the function starts: its deadline counts from there, not from the submission (a
 * thread's first task waits for tsx and the imports, a queued one for the tasks before it).
 */
export default async function runTask({ id, module, name, input }) {
  let loading = modules.get(module);
  if (!loading) modules.set(module, (loading = import(module)));
  const fn = (await loading)[name];
  if (typeof fn !== 'function') throw new Error(`${module}#${name} is not a function`);
  // after the import: a new thread's first task of a module does not pay for loading it
  parentPort?.postMessage({ workStarted: id });
  return fn(input);
}
