/** Form helpers: reading fields, and running an operation then redirecting with its outcome (POST/redirect/GET). */
import type { Ctx } from './deps.ts';

export type Body = Record<string, string | File | (string | File)[]>;

export async function formBody(c: Ctx): Promise<Body> {
  return (await c.req.parseBody()) as Body;
}

/** A text field (the first value when repeated), '' when absent. */
export function field(body: Body, name: string, max = 4096): string {
  const v = body[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s.slice(0, max) : '';
}

export const checked = (body: Body, name: string) => field(body, name) !== '';

/** A path under /admin/ to go back to (never another site: an open redirect). */
export function backTo(target: string | undefined, fallback: string): string {
  return target && /^\/admin\/[^/\\]/.test(target) && !target.startsWith('//') ? target : fallback;
}

/** Runs `op`; its result text (or the error's message) is flashed on the page `back`. */
export async function act(c: Ctx, back: string, op: () => Promise<string | string[]>): Promise<Response> {
  const s = c.get('session');
  try {
    const out = await op();
    for (const line of Array.isArray(out) ? out : [out]) s.flash.push({ kind: line.startsWith('warning:') ? 'error' : 'ok', text: line });
  } catch (err) {
    s.flash.push({ kind: 'error', text: (err as Error).message });
  }
  return c.redirect(back, 303);
}
