/**
 * Haraka's notes (haraka-notes): a plain bag with `get('a.b.c')` and `set('a.b.c', v)`.
 * haraka-notes copies the bag it is given into a new object, but the shim must write into the
 * core's own bag (Connection.notes, Transaction.notes: the HookRunner reads
 * `tx.notes.skip_plugins` there), so the two methods are added to that bag, non-enumerable,
 * with haraka-notes' semantics (dotted or array paths, autovivification, no prototype keys).
 */

export interface HarakaNotes extends Record<string, unknown> {
  get(path: string | string[]): unknown;
  set(path: string | string[], value: unknown, onlyWhenUndefined?: boolean): void;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function segments(path: string | string[]): string[] {
  let segs: string[];
  if (typeof path === 'string') segs = path.split('.');
  else if (Array.isArray(path)) segs = path.slice();
  else throw new TypeError(`notes path must be a string or array, got ${path === null ? 'null' : typeof path}`);
  for (const s of segs) if (FORBIDDEN.has(s)) throw new TypeError(`notes path segment "${s}" is not allowed`);
  return segs;
}

function getPath(bag: Record<string, unknown>, path: string | string[]): unknown {
  if (!path) return undefined;
  let cur: unknown = bag;
  for (const s of segments(path)) {
    if (!cur) return undefined;
    cur = (cur as Record<string, unknown>)[s];
  }
  return cur;
}

function setPath(bag: Record<string, unknown>, path: string | string[], value: unknown, onlyWhenUndefined?: boolean): void {
  if (path === undefined || value === undefined) return;
  const segs = segments(path);
  let dest = bag;
  while (segs.length > 1) {
    const seg = segs.shift() as string;
    const cur = dest[seg];
    if (cur === undefined || cur === null || (typeof cur !== 'object' && typeof cur !== 'function')) dest[seg] = {};
    dest = dest[seg] as Record<string, unknown>;
  }
  const last = segs[0];
  if (onlyWhenUndefined && dest[last] !== undefined) return;
  dest[last] = value;
}

/** Adds haraka-notes' get/set to `bag` in place (once) and returns it. */
export function asHarakaNotes(bag: Record<string, unknown>): HarakaNotes {
  if (!Object.prototype.hasOwnProperty.call(bag, 'set')) {
    Object.defineProperty(bag, 'get', { value: (p: string | string[]) => getPath(bag, p), enumerable: false, configurable: true });
    Object.defineProperty(bag, 'set', {
      value: (p: string | string[], v: unknown, only?: boolean) => setPath(bag, p, v, only),
      enumerable: false,
      configurable: true,
    });
  }
  return bag as HarakaNotes;
}
