/**
 * RX-3: the Received: header, written from an editable template (the seed's `header.dat`; here
 * the config's `smtp.receivedTemplate`). A template is the header VALUE, folded with CRLF + WSP
 * where the operator wants, with placeholders:
 *
 *   {helo} {remoteHost} {remoteIp} {hostname} {product} {protocol} {id} {recipient} {date} {tls}
 *
 * e.g. `from {helo} ({remoteHost} [{remoteIp}])\r\n\tby {hostname} ({product}) with {protocol}
 * id {id}\r\n\tfor <{recipient}>; {date}` (RFC 5321 §4.4, RFC 5322 §3.6.7).
 *
 * Absent values: {helo} and {remoteHost} render as `unknown`. {recipient} (no single recipient)
 * and {tls} (plain session) are optional: a folded line that uses an absent one is removed,
 * except that a `;` after it and what follows survive, so `for <{recipient}>; {date}` becomes
 * `...;` + a new folded line with the date. Keep optional fields on lines of their own, or
 * before the `;`.
 */
import { UsageError } from '../core/errors.ts';

export interface ReceivedFields {
  /** HELO/EHLO argument, as the client sent it. */
  helo?: string;
  /** Reverse DNS name of the client. */
  remoteHost?: string;
  remoteIp: string;
  /** This server's name. */
  hostname: string;
  product: string;
  /** WITH protocol, see receivedProtocol. */
  protocol: string;
  /** Queue/message id. */
  id: string;
  /** The one envelope recipient; leave unset when there are several (privacy, RFC 5321 §7.2). */
  recipient?: string;
  date: Date;
  /** Negotiated TLS version/cipher, e.g. `TLSv1.3 TLS_AES_256_GCM_SHA384`; unset without TLS. */
  tlsCipher?: string;
}

export const RECEIVED_PLACEHOLDERS = [
  'helo', 'remoteHost', 'remoteIp', 'hostname', 'product', 'protocol', 'id', 'recipient', 'date', 'tls',
] as const;
export type ReceivedPlaceholder = (typeof RECEIVED_PLACEHOLDERS)[number];

const KNOWN = new Set<string>(RECEIVED_PLACEHOLDERS);
const PLACEHOLDER_RE = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;
// C0, DEL, C1 and the Unicode line/paragraph separators: none may reach a header line.
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// In helo/remoteHost, which the client controls, these would end the token, close the comment
// or start the date: a client could otherwise forge a `by` clause or a date in our header.
const TOKEN_BREAKERS_RE = /[\s()\\;"]/g;
// A domain name is at most 253 octets; anything longer in HELO is junk, not worth a long line.
const MAX_CLIENT_TOKEN = 255;

/**
 * The unknown placeholders of a template, as written (`{fooBar}`), each once, in order of
 * appearance; empty when the template is usable. Run at config validation.
 */
export function validateReceivedTemplate(template: string): string[] {
  const unknown: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER_RE)) {
    if (!KNOWN.has(match[1]) && !unknown.includes(match[0])) unknown.push(match[0]);
  }
  return unknown;
}

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * RFC 5322 §3.3 date-time in the process's local time zone, `Fri, 27 Nov 2026 23:31:30 +0900`
 * (day zero-padded; 1*2DIGIT allows it). getTimezoneOffset gives the offset for that instant,
 * so daylight saving is right for past dates too.
 */
export function formatRfc5322Date(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('formatRfc5322Date: invalid Date');
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${DAYS[date.getDay()]}, ${twoDigits(date.getDate())} ${MONTHS[date.getMonth()]} ${date.getFullYear()} ` +
    `${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}:${twoDigits(date.getSeconds())} ` +
    `${sign}${twoDigits(Math.floor(abs / 60))}${twoDigits(abs % 60)}`;
}

/** Removes what could break a header line; undefined when nothing is left. */
function clean(value: string | undefined): string | undefined {
  const cleaned = value?.replace(CONTROL_RE, '').trim();
  return cleaned === '' ? undefined : cleaned;
}

/** A client-supplied name, reduced to one harmless token. */
function clientToken(value: string | undefined): string {
  const cleaned = clean(value)?.replace(TOKEN_BREAKERS_RE, '_').slice(0, MAX_CLIENT_TOKEN);
  return cleaned ?? 'unknown';
}

function fieldValues(fields: ReceivedFields): Record<ReceivedPlaceholder, string | undefined> {
  return {
    helo: clientToken(fields.helo),
    remoteHost: clientToken(fields.remoteHost),
    remoteIp: clean(fields.remoteIp) ?? 'unknown',
    hostname: clean(fields.hostname) ?? 'unknown',
    product: clean(fields.product) ?? '',
    protocol: clean(fields.protocol) ?? 'SMTP',
    id: clean(fields.id) ?? '',
    recipient: clean(fields.recipient),
    date: formatRfc5322Date(fields.date),
    tls: clean(fields.tlsCipher),
  };
}

/**
 * Renders the Received: header value (RFC 5321 §4.4) from `template`: placeholders replaced,
 * lines joined with CRLF, every continuation line starting with WSP (a template line without one
 * gets a TAB, so a template can never start a new header). Templates may use LF or CRLF.
 * See the module comment for absent optional values.
 *
 * @throws UsageError naming the unknown placeholders.
 */
export function renderReceived(template: string, fields: ReceivedFields): string {
  const lines = compiled(template);
  const values = fieldValues(fields);
  const fill = (parts: Part[]) => parts.map((p) => (typeof p === 'string' ? p : values[p.name] ?? '')).join('');
  const out: string[] = [];
  for (const { line, parts, placeholders } of lines) {
    let lastAbsentEnd = -1;
    for (const { name, end } of placeholders) {
      if (values[name] === undefined) lastAbsentEnd = end;
    }
    if (lastAbsentEnd < 0) {
      out.push(fill(parts));
      continue;
    }
    const semicolon = line.indexOf(';', lastAbsentEnd);
    if (semicolon < 0) continue;
    // Keep the `;` and the date after it: the header must end in `; date-time` (RFC 5322 §3.6.7).
    if (out.length > 0) out[out.length - 1] = out[out.length - 1].trimEnd() + ';';
    else out.push(';');
    const indent = /^[ \t]*/.exec(line)![0] || '\t';
    out.push(indent + fill(splitLine(line.slice(semicolon + 1))).trimStart());
  }
  const kept = out.filter((l) => l.trim() !== '');
  return kept
    .map((l, i) => (i === 0 ? l.trimStart() : /^[ \t]/.test(l) ? l : '\t' + l))
    .join('\r\n');
}

/** A template line's text between placeholders, and its placeholders. */
type Part = string | { name: ReceivedPlaceholder };

interface TemplateLine {
  line: string;
  parts: Part[];
  /** Each placeholder with where it ends in the line. */
  placeholders: { name: ReceivedPlaceholder; end: number }[];
}

function splitLine(line: string): Part[] {
  const parts: Part[] = [];
  let at = 0;
  for (const match of line.matchAll(PLACEHOLDER_RE)) {
    if (match.index! > at) parts.push(line.slice(at, match.index));
    parts.push({ name: match[1] as ReceivedPlaceholder });
    at = match.index! + match[0].length;
  }
  if (at < line.length) parts.push(line.slice(at));
  return parts;
}

/** Templates come from the config (one or two at a time): each is checked and split once, not per message. */
const COMPILED_MAX = 8;
const compiledTemplates = new Map<string, TemplateLine[]>();

function compiled(template: string): TemplateLine[] {
  const hit = compiledTemplates.get(template);
  if (hit) return hit;
  const unknown = validateReceivedTemplate(template);
  if (unknown.length > 0) {
    throw new UsageError(`Received: template: unknown placeholder(s) ${unknown.join(', ')} (known: ${RECEIVED_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`);
  }
  const lines = template.split(/\r\n|\r|\n/).map((line) => ({
    line,
    parts: splitLine(line),
    placeholders: [...line.matchAll(PLACEHOLDER_RE)].map((m) => ({ name: m[1] as ReceivedPlaceholder, end: m.index! + m[0].length })),
  }));
  if (compiledTemplates.size >= COMPILED_MAX) compiledTemplates.clear();
  compiledTemplates.set(template, lines);
  return lines;
}

/**
 * The WITH protocol of a Received: header: SMTP or ESMTP (RFC 5321 §4.4), with `S` for TLS and
 * `A` for an authenticated client (RFC 3848); `UTF8SMTP...` instead of `ESMTP...` when the
 * transaction used SMTPUTF8 (RFC 6531 §3.7.7). A HELO session has no registered TLS/AUTH
 * variants (implicit TLS with HELO is possible), so it is plain `SMTP`; {tls} still shows TLS.
 */
export function receivedProtocol(session: { esmtp: boolean; tls: boolean; auth: boolean; utf8?: boolean }): string {
  if (!session.esmtp) return 'SMTP';
  return `${session.utf8 ? 'UTF8SMTP' : 'ESMTP'}${session.tls ? 'S' : ''}${session.auth ? 'A' : ''}`;
}
