/**
 * ENVELOPE and BODY/BODYSTRUCTURE (RFC 3501 §7.4.2) from a MIME tree. Header text is given
 * back raw (encoded-words stay encoded, as the RFC asks); addresses are split per RFC 5322 (addresses.ts).
 */
import libmime from 'libmime';
import { header, lineCount, type MimePart } from './mime.ts';
import { parseAddressList, type EnvelopeAddress } from './addresses.ts';
import { join, nbinary, nstring, paren, type Chunk } from '../wire.ts';

/** An address list as RFC 3501 §7.4.2 writes it: `(name adl mailbox host)`, groups as start and end markers. */
function addressList(list: EnvelopeAddress[], utf8: boolean): Chunk {
  if (!list.length) return 'NIL';
  const s = (v: string | null) => nbinary(v, utf8);
  const out = list.map((a) => {
    if (a.kind === 'group') return paren(['NIL', 'NIL', s(a.name), 'NIL']);
    if (a.kind === 'end') return '(NIL NIL NIL NIL)';
    return paren([s(a.name), s(a.route), s(a.mailbox), s(a.host)]);
  });
  return Buffer.concat([Buffer.from('('), join(out, ''), Buffer.from(')')]);
}

/** `utf8`: UTF8=ACCEPT is enabled, UTF-8 header text may go as quoted strings (utf8-accept.ts). */
export function envelope(part: MimePart, utf8 = false): Buffer {
  const h = (k: string) => header(part, k);
  const list = (k: string) => parseAddressList(h(k));
  const n = (v: string | null) => nbinary(v, utf8);
  const from = addressList(list('from'), utf8);
  // absent or empty (no address in it): the From value (RFC 3501 §7.4.2)
  const senderList = list('sender');
  const replyToList = list('reply-to');
  const sender = senderList.length ? addressList(senderList, utf8) : from;
  const replyTo = replyToList.length ? addressList(replyToList, utf8) : from;
  return paren([
    n(h('date')), n(h('subject')), from, sender, replyTo,
    addressList(list('to'), utf8), addressList(list('cc'), utf8), addressList(list('bcc'), utf8),
    n(h('in-reply-to')), n(h('message-id')),
  ]);
}

/**
 * The renderers below build latin1 strings (one char a byte) and make one Buffer at the end:
 * a Buffer per token made BODYSTRUCTURE of 10,000 parts take a third of a second.
 */
const str = (c: Chunk): string => (typeof c === 'string' ? c : c.toString('latin1'));
const list = (items: Chunk[]): string => `(${items.map(str).join(' ')})`;
/** nstring / nbinary with a fast path for short printable ASCII without `"` or `\\` (the common case). */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const q = (v: string | null, binary = false): string => {
  if (v === null) return 'NIL';
  if (v.length < 1024 && PLAIN.test(v)) return '"' + v + '"';
  return str(binary ? nbinary(v) : nstring(v));
};

function paramList(params: [string, string][]): string {
  if (!params.length) return 'NIL';
  return list(params.flatMap(([k, v]) => [q(k.toUpperCase()), q(v)]));
}

function disposition(part: MimePart): string {
  const d = header(part, 'content-disposition');
  if (!d) return 'NIL';
  const parsed = libmime.parseHeaderValue(d);
  const params = Object.entries(parsed.params ?? {}).map(([k, v]) => [k, String(v)] as [string, string]);
  return list([q(String(parsed.value).toUpperCase()), paramList(params)]);
}

function language(part: MimePart): string {
  const l = header(part, 'content-language');
  if (!l) return 'NIL';
  const langs = l.split(',').map((x) => x.trim()).filter(Boolean);
  return langs.length === 1 ? q(langs[0], true) : list(langs.map((x) => q(x, true)));
}

/**
 * Rendered parts, per tree (dropped with it): BODYSTRUCTURE and BODY, each as sent without
 * and with UTF8=ACCEPT (the envelope of a message/rfc822 part differs, RFC 6855 §3).
 */
const rendered = [0, 1, 2, 3].map(() => new WeakMap<MimePart, string>());
const cacheOf = (extended: boolean, utf8: boolean) => rendered[(extended ? 2 : 0) + (utf8 ? 1 : 0)];

function structureText(buf: Buffer, part: MimePart, extended: boolean, utf8: boolean): string {
  const cache = cacheOf(extended, utf8);
  const hit = cache.get(part);
  if (hit !== undefined) return hit;
  const text = renderPart(buf, part, extended, utf8);
  cache.set(part, text);
  return text;
}

/** Parts rendered between two turns of the event loop. */
const SLICE_PARTS = 500;

/**
 * Renders BODYSTRUCTURE (or BODY) of a tree part by part, innermost first, with a turn of the
 * event loop every SLICE_PARTS parts; bodyStructure() afterwards only joins what is there.
 */
export async function prepareStructure(buf: Buffer, root: MimePart, extended: boolean, utf8 = false): Promise<void> {
  if (cacheOf(extended, utf8).has(root)) return;
  const order: MimePart[] = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    order.push(p);
    stack.push(...p.children);
    if (p.message) stack.push(p.message);
  }
  if (order.length <= SLICE_PARTS) return;
  for (let i = order.length - 1, n = 1; i >= 0; i--, n++) {
    structureText(buf, order[i], extended, utf8);
    if (n % SLICE_PARTS === 0) await new Promise((r) => setImmediate(r));
  }
}

function renderPart(buf: Buffer, part: MimePart, extended: boolean, utf8: boolean): string {
  if (part.children.length) {
    let text = '(';
    for (const c of part.children) text += structureText(buf, c, extended, utf8);
    text += ' ' + q(part.subtype.toUpperCase());
    if (extended) {
      text += ` ${paramList(part.params)} ${disposition(part)} ${language(part)} ${q(header(part, 'content-location'), true)}`;
    }
    return text + ')';
  }
  const size = part.end - part.bodyStart;
  // RFC 2045 §5.2: a text part without a charset is US-ASCII; say so, as Dovecot and Cyrus do
  const params: [string, string][] = part.type === 'text' && !part.params.some(([k]) => k === 'charset')
    ? [['charset', 'us-ascii'], ...part.params] : part.params;
  const items: Chunk[] = [
    q(part.type.toUpperCase()), q(part.subtype.toUpperCase()), paramList(params),
    q(header(part, 'content-id'), true), q(header(part, 'content-description'), true),
    q((header(part, 'content-transfer-encoding') ?? '7BIT').toUpperCase()), String(size),
  ];
  if (part.message) {
    // RFC 3501 §7.4.2: the encapsulated message's envelope, as ENVELOPE sends it (utf8-accept.ts)
    items.push(envelope(part.message, utf8), structureText(buf, part.message, extended, utf8), String(lineCount(buf, part.bodyStart, part.end, part)));
  } else if (part.type === 'text') {
    items.push(String(lineCount(buf, part.bodyStart, part.end, part)));
  }
  if (extended) {
    items.push(q(header(part, 'content-md5'), true), disposition(part), language(part), q(header(part, 'content-location'), true));
  }
  return list(items);
}

/** BODY (extended = false) or BODYSTRUCTURE (extended = true) of a part; `utf8`: UTF8=ACCEPT is enabled. */
export function bodyStructure(buf: Buffer, part: MimePart, extended: boolean, utf8 = false): Buffer {
  return Buffer.from(structureText(buf, part, extended, utf8), 'latin1');
}
