/**
 * What a config change changes, for the apply summary (the push output) and for refusing
 * changes that cannot be made while running. Pure: no I/O.
 */
import type { AppConfig } from '../../core/config/schema.ts';

/** Top-level settings that only take effect at start (the store and the cluster node are opened once per process). */
export const RESTART_PATHS = ['store', 'node', 'dataDir'] as const;

export interface ConfigDiff {
  /** One line per change: listeners, plugins, then every other changed setting path. */
  summary: string[];
  /** Changed settings that need a restart (RESTART_PATHS). */
  needsRestart: string[];
}

const LISTEN_SERVICES = ['smtp', 'submission', 'pop3', 'imap'] as const;

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'function' && typeof b === 'function') return a.toString() === b.toString();
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof RegExp || b instanceof RegExp) return String(a) === String(b);
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A short rendering of a setting's value for the summary. */
export function show(v: unknown): string {
  if (v === undefined) return '(unset)';
  if (typeof v === 'function') return '(function)';
  let text: string;
  try {
    text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'function' ? '(function)' : x instanceof RegExp ? String(x) : x)) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Items of `after` not in `before` and the reverse, as multisets (a spec listed twice counts twice). */
function listChanges(before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
  const left = [...before];
  const added: string[] = [];
  for (const x of after) {
    const i = left.indexOf(x);
    if (i >= 0) left.splice(i, 1);
    else added.push(x);
  }
  return { added, removed: left };
}

type Entry = { name: string; options?: unknown };

function pluginChanges(kind: string, before: readonly Entry[], after: readonly Entry[]): string[] {
  const out: string[] = [];
  const names = (l: readonly Entry[]) => l.map((p) => p.name);
  const { added, removed } = listChanges(names(before), names(after));
  for (const n of added) out.push(`${kind} ${n} added`);
  for (const n of removed) out.push(`${kind} ${n} removed`);
  for (const p of after) {
    const old = before.find((b) => b.name === p.name);
    if (old && !deepEqual(old.options ?? {}, p.options ?? {})) out.push(`${kind} ${p.name} options changed`);
  }
  const kept = names(after).filter((n) => names(before).includes(n));
  const keptBefore = names(before).filter((n) => kept.includes(n));
  if (!added.length && !removed.length && kept.join('\n') !== keptBefore.join('\n')) out.push(`${kind} order changed: ${kept.join(', ')}`);
  return out;
}

/** Setting paths whose values differ; arrays are compared whole. */
function changedPaths(before: unknown, after: unknown, at: string, skip: Set<string>, out: string[]): void {
  if (skip.has(at)) return;
  const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RegExp);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before as object), ...Object.keys(after as object)])];
    for (const k of keys) changedPaths((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k], at ? `${at}.${k}` : k, skip, out);
    return;
  }
  if (!deepEqual(before, after)) out.push(`${at}: ${show(before)} -> ${show(after)}`);
}

export function diffConfig(before: AppConfig, after: AppConfig): ConfigDiff {
  const summary: string[] = [];
  for (const svc of LISTEN_SERVICES) {
    const { added, removed } = listChanges(before[svc].listen, after[svc].listen);
    for (const l of added) summary.push(`${svc} listener ${l} added`);
    for (const l of removed) summary.push(`${svc} listener ${l} removed`);
  }
  summary.push(...pluginChanges('plugin', before.plugins, after.plugins));
  summary.push(
    ...pluginChanges('haraka plugin', before.haraka.plugins.map((name) => ({ name })), after.haraka.plugins.map((name) => ({ name }))),
  );
  const skip = new Set(['smtp.listen', 'submission.listen', 'pop3.listen', 'imap.listen', 'plugins', 'haraka.plugins']);
  changedPaths(before, after, '', skip, summary);
  const b = before as unknown as Record<string, unknown>;
  const a = after as unknown as Record<string, unknown>;
  // node.workers is the supervisor's to follow live (appliance/workers/supervisor.ts)
  const withoutWorkers = (v: unknown) => (v && typeof v === 'object' ? { ...(v as Record<string, unknown>), workers: undefined } : v);
  const needsRestart = RESTART_PATHS.filter((p) => (p === 'node' ? !deepEqual(withoutWorkers(b[p]), withoutWorkers(a[p])) : !deepEqual(b[p], a[p])));
  return { summary, needsRestart };
}
