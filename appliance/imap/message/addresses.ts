/**
 * RFC 5322 §3.4 address lists as IMAP's ENVELOPE wants them (RFC 3501 §7.4.2): mailboxes with
 * display name, source route (obs-route, RFC 5322 §4.4) and addr-spec, and groups as a start
 * marker (the group name) and an end marker. Works on the raw (latin1) header value: names
 * keep their encoded-words, as the ENVELOPE must. Lenient like Dovecot: comments are dropped
 * (one stands in for a missing display name: `user@host (Real Name)`), a missing part of an
 * address becomes MISSING_MAILBOX / MISSING_DOMAIN, never NIL, which would read as a group
 * marker. Bounded: at most MAX_ADDRESSES entries.
 */

export type EnvelopeAddress =
  | { kind: 'mailbox'; name: string | null; route: string | null; mailbox: string; host: string }
  /** Group start: `(NIL NIL name NIL)`. */
  | { kind: 'group'; name: string }
  /** Group end: `(NIL NIL NIL NIL)`. */
  | { kind: 'end' };

export const MISSING_MAILBOX = 'MISSING_MAILBOX';
export const MISSING_DOMAIN = 'MISSING_DOMAIN';
const MAX_ADDRESSES = 1000;

type Tok = { t: 'word' | 'quoted' | 'comment' | 'literal'; v: string } | { t: 'special'; v: string };

const SPECIALS = new Set(['<', '>', ':', ';', '@', ',', '.']);

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '"') {
      let v = '';
      for (i++; i < s.length && s[i] !== '"'; i++) {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        if (s[i] !== '\r' && s[i] !== '\n') v += s[i];
      }
      i++;
      out.push({ t: 'quoted', v });
    } else if (c === '(') {
      let depth = 0;
      let v = '';
      for (; i < s.length; i++) {
        if (s[i] === '\\' && i + 1 < s.length) {
          v += s[++i];
          continue;
        }
        if (s[i] === '(' && depth++ === 0) continue;
        if (s[i] === ')' && --depth === 0) break;
        v += s[i];
      }
      i++;
      out.push({ t: 'comment', v: v.replace(/\s+/g, ' ').trim() });
    } else if (c === '[') {
      const end = s.indexOf(']', i);
      const stop = end < 0 ? s.length : end + 1;
      out.push({ t: 'literal', v: s.slice(i, stop) });
      i = stop;
    } else if (SPECIALS.has(c)) {
      out.push({ t: 'special', v: c });
      i++;
    } else {
      let j = i;
      while (j < s.length && !' \t\r\n"(['.includes(s[j]) && !SPECIALS.has(s[j]) && s[j] !== ')') j++;
      if (j === i) j++; // a stray ")" or "]"
      out.push({ t: 'word', v: s.slice(i, j) });
      i = j;
    }
  }
  return out;
}

const isSpecial = (t: Tok | undefined, v: string) => t?.t === 'special' && t.v === v;

/** A phrase: words and quoted strings joined by one space, "." attached (obs-phrase). */
function phrase(toks: Tok[]): string | null {
  let out = '';
  for (const t of toks) {
    if (t.t === 'comment') continue;
    if (t.t === 'special' && t.v === '.') out += '.';
    else out += (out ? ' ' : '') + t.v;
  }
  out = out.trim();
  return out ? out : null;
}

/** Tokens of an addr-spec (or part) joined without spaces, comments dropped. */
const joinTight = (toks: Tok[]) => toks.filter((t) => t.t !== 'comment').map((t) => t.v).join('');

function addrSpec(toks: Tok[]): { mailbox: string; host: string } {
  let at = -1;
  for (let i = toks.length - 1; i >= 0; i--) if (isSpecial(toks[i], '@')) { at = i; break; }
  const local = joinTight(at < 0 ? toks : toks.slice(0, at));
  const host = at < 0 ? '' : joinTight(toks.slice(at + 1));
  return { mailbox: local || MISSING_MAILBOX, host: host || MISSING_DOMAIN };
}

function mailbox(toks: Tok[]): EnvelopeAddress | null {
  const real = toks.filter((t) => t.t !== 'comment');
  if (!real.length) return null;
  const open = real.findIndex((t) => isSpecial(t, '<'));
  // a comment outside the angle brackets stands in for a missing display name
  const lt = toks.findIndex((t) => isSpecial(t, '<'));
  const gt = toks.findIndex((t, i) => i > lt && isSpecial(t, '>'));
  const comment = toks.find((t, i) => t.t === 'comment' && t.v && (lt < 0 || i < lt || (gt >= 0 && i > gt)))?.v ?? null;
  if (open >= 0) {
    const close = real.findIndex((t, i) => i > open && isSpecial(t, '>'));
    const inner = real.slice(open + 1, close < 0 ? real.length : close);
    const name = phrase(real.slice(0, open)) ?? comment;
    let route: string | null = null;
    let spec = inner;
    if (isSpecial(inner[0], '@')) {
      const colon = inner.findIndex((t) => isSpecial(t, ':'));
      if (colon >= 0) {
        route = joinTight(inner.slice(0, colon));
        spec = inner.slice(colon + 1);
      }
    }
    if (!spec.length && !name) return null;
    return { kind: 'mailbox', name, route, ...addrSpec(spec) };
  }
  if (real.some((t) => isSpecial(t, '@'))) return { kind: 'mailbox', name: comment, route: null, ...addrSpec(real) };
  // no address: one word is a local part without its domain, more are a display name alone
  if (real.length === 1 && real[0].t !== 'special') return { kind: 'mailbox', name: comment, route: null, mailbox: real[0].v, host: MISSING_DOMAIN };
  return { kind: 'mailbox', name: phrase(real), route: null, mailbox: MISSING_MAILBOX, host: MISSING_DOMAIN };
}

export function parseAddressList(raw: string | null): EnvelopeAddress[] {
  if (!raw) return [];
  const out: EnvelopeAddress[] = [];
  let cur: Tok[] = [];
  let inGroup = false;
  let inAngle = false;
  const flush = () => {
    const m = mailbox(cur);
    cur = [];
    if (m && out.length < MAX_ADDRESSES) out.push(m);
  };
  for (const tok of tokenize(raw)) {
    if (out.length >= MAX_ADDRESSES) break;
    if (tok.t === 'special' && !inAngle) {
      if (tok.v === ',') {
        flush();
        continue;
      }
      if (tok.v === ':' && !inGroup) {
        out.push({ kind: 'group', name: phrase(cur) ?? '' });
        cur = [];
        inGroup = true;
        continue;
      }
      if (tok.v === ';' && inGroup) {
        flush();
        out.push({ kind: 'end' });
        inGroup = false;
        continue;
      }
    }
    if (isSpecial(tok, '<')) inAngle = true;
    else if (isSpecial(tok, '>')) inAngle = false;
    cur.push(tok);
  }
  flush();
  if (inGroup) out.push({ kind: 'end' });
  return out;
}

/**
 * The addresses as searchable text (SEARCH FROM/TO/CC/BCC, RFC 3501 §6.4.4): `name
 * <mailbox@host>` per mailbox and `name:` per group, so a search for an address finds it
 * however the header wrote it (comments inside it, a route).
 */
export function addressText(list: EnvelopeAddress[]): string {
  return list.map((a) => (a.kind === 'group' ? `${a.name}:` : a.kind === 'end' ? ';' : `${a.name ?? ''} <${a.mailbox}@${a.host}>`)).join(', ');
}

/**
 * RFC 5256 §3 SORT FROM/TO/CC: the addr-mailbox of the first address, as its ENVELOPE
 * structure has it (a group's start marker holds the group name there); '' when none.
 */
export function firstAddrMailbox(list: EnvelopeAddress[]): string {
  const a = list[0];
  if (!a || a.kind === 'end') return '';
  return a.kind === 'group' ? a.name : a.mailbox;
}
