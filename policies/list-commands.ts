/**
 * ML-4 the command language of `<list>-request@<domain>` mail, the subject tag of ML-2 and the
 * delivery split of ML-5. Pure functions, table-tested in list-commands.test.ts.
 */

/** ALL, n or n-m. */
export type Range = { all: true } | { all: false; from: number; to: number };

export type Command =
  | { verb: 'JOIN' | 'LEAVE'; list?: string; address?: string }
  | { verb: 'LIST' | 'HELP' | 'KEYGEN' }
  | { verb: 'ARTICLE'; action: 'INDEX' | 'LIST' | 'DELETE'; range: Range }
  | { verb: 'CONFIRM'; token: string }
  | { verb: 'UNKNOWN'; line: string };

export function parseRange(text: string | undefined): Range | null {
  if (!text || /^all$/i.test(text)) return { all: true };
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return null;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  return from <= to ? { all: false, from, to } : null;
}

export function inRange(range: Range, n: number): boolean {
  return range.all || (n >= range.from && n <= range.to);
}

/** One line; null for a blank line. */
export function parseCommandLine(line: string): Command | null {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (!words.length) return null;
  const verb = words[0].toUpperCase();
  switch (verb) {
    case 'JOIN': case 'SUBSCRIBE': case 'LEAVE': case 'UNSUBSCRIBE':
      if (words.length > 3) break;
      return { verb: verb === 'JOIN' || verb === 'SUBSCRIBE' ? 'JOIN' : 'LEAVE', list: words[1], address: words[2] };
    case 'LIST': case 'HELP': case 'KEYGEN':
      if (words.length > 1) break;
      return { verb };
    case 'CONFIRM':
      if (words.length !== 2 || !/^[0-9a-f]{8,64}$/i.test(words[1])) break;
      return { verb: 'CONFIRM', token: words[1].toLowerCase() };
    case 'ARTICLE': {
      const action = words[1]?.toUpperCase();
      const range = parseRange(words[2]);
      if ((action === 'INDEX' || action === 'LIST' || action === 'DELETE') && range && words.length <= 3) return { verb: 'ARTICLE', action, range };
      break;
    }
  }
  return { verb: 'UNKNOWN', line: line.trim() };
}

/**
 * The commands of a body: one a line, up to STOP (the rest is ignored). Quoted lines (`>`) and
 * a signature after `-- ` are skipped, so a reply that quotes the request does not repeat it.
 */
export function parseCommands(body: string): Command[] {
  const out: Command[] = [];
  for (const raw of body.split(/\r?\n/)) {
    if (raw === '-- ') break;
    if (/^\s*>/.test(raw)) continue;
    if (/^\s*STOP\s*$/i.test(raw)) break;
    const c = parseCommandLine(raw);
    if (c) out.push(c);
  }
  return out;
}

/** `[test %03d]` with the counter, wrapping at the width (`%03d` counts 000 … 999). */
export function formatTag(format: string, counter: number): string {
  return format.replace(/%(0?)(\d*)d/, (_m, zero: string, width: string) => {
    const w = Number(width) || 0;
    const n = w ? counter % 10 ** w : counter;
    return zero ? String(n).padStart(w, '0') : String(n);
  });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A pattern that finds the tag of `format` with any counter. */
export function tagPattern(format: string): RegExp {
  const parts = format.split(/%0?\d*d/);
  return new RegExp(parts.map(escape).join('\\d+'), 'g');
}

/**
 * The subject of a post: every earlier tag of this list removed, repeated reply prefixes
 * folded into one `Re: `, then the new tag in front. A reply to a tagged post so carries one tag.
 */
export function tagSubject(subject: string, format: string, counter: number): string {
  let s = subject.replace(tagPattern(format), ' ').replace(/\s+/g, ' ').trim();
  let reply = false;
  for (;;) {
    const m = /^(re|aw|sv|fwd?)\s*(\[\d+\])?\s*:\s*/i.exec(s);
    if (!m || !/^re$/i.test(m[1])) break;
    reply = true;
    s = s.slice(m[0].length).replace(tagPattern(format), ' ').trim();
  }
  const rest = (reply ? `Re: ${s}` : s).trim();
  const tag = formatTag(format, counter);
  return rest ? `${tag} ${rest}` : tag;
}

/**
 * ML-5: how a post's members are split into queue entries. `domain`: members grouped by domain
 * (each domain stays in one entry, so one SMTP transaction carries it), the domains dealt into
 * `parts` entries; `even`: the members dealt into `parts` entries of (nearly) equal size.
 */
export function splitMembers(addresses: string[], rule: 'domain' | 'even', parts: number): string[][] {
  const n = Math.max(1, Math.floor(parts));
  if (rule === 'even') {
    const size = Math.ceil(addresses.length / n);
    const out: string[][] = [];
    for (let i = 0; i < addresses.length; i += size) out.push(addresses.slice(i, i + size));
    return out;
  }
  const byDomain = new Map<string, string[]>();
  for (const a of addresses) {
    const d = a.slice(a.lastIndexOf('@') + 1).toLowerCase();
    byDomain.set(d, [...(byDomain.get(d) ?? []), a]);
  }
  const out: string[][] = Array.from({ length: Math.min(n, byDomain.size) }, () => []);
  [...byDomain.values()].sort((a, b) => b.length - a.length).forEach((group) => {
    // the smallest part so far takes the next (largest remaining) domain
    out.reduce((min, p) => (p.length < min.length ? p : min), out[0]).push(...group);
  });
  return out.filter((p) => p.length);
}
