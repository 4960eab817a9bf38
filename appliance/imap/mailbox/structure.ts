/**
 * ENVELOPE and BODY/BODYSTRUCTURE (RFC 3501 §7.4.2) from a MIME tree. Header text is given
 * back raw (encoded-words stay encoded, as the RFC asks); addresses are split per RFC 5322.
 */
import addressparser from 'nodemailer/lib/addressparser';
import libmime from 'libmime';
import { header, lineCount, type MimePart } from './mime.ts';
import { join, nbinary, nstring, paren, type Chunk } from '../wire.ts';

interface ParsedAddress { name?: string; address?: string; group?: ParsedAddress[] }

function address(a: ParsedAddress): Buffer {
  const addr = a.address ?? '';
  const at = addr.lastIndexOf('@');
  const mailbox = at < 0 ? addr : addr.slice(0, at);
  const host = at < 0 ? '' : addr.slice(at + 1);
  return paren([nbinary(a.name || null), 'NIL', nbinary(mailbox || null), nbinary(at < 0 ? null : host)]);
}

function addressList(value: string | null): Chunk {
  if (!value || !value.trim()) return 'NIL';
  const parsed = (addressparser as unknown as (s: string) => ParsedAddress[])(value);
  const out: Chunk[] = [];
  for (const a of parsed) {
    if (a.group) {
      // RFC 3501 §7.4.2: a group is a start marker (NIL NIL name NIL) ... end marker (NIL NIL NIL NIL)
      out.push(paren(['NIL', 'NIL', nbinary(a.name ?? ''), 'NIL']));
      for (const g of a.group) out.push(address(g));
      out.push('(NIL NIL NIL NIL)');
    } else if (a.address || a.name) out.push(address(a));
  }
  return out.length ? Buffer.concat([Buffer.from('('), join(out, ''), Buffer.from(')')]) : 'NIL';
}

export function envelope(part: MimePart): Buffer {
  const h = (k: string) => header(part, k);
  const from = addressList(h('from'));
  const sender = h('sender') ? addressList(h('sender')) : from;
  const replyTo = h('reply-to') ? addressList(h('reply-to')) : from;
  return paren([
    nbinary(h('date')), nbinary(h('subject')), from, sender, replyTo,
    addressList(h('to')), addressList(h('cc')), addressList(h('bcc')),
    nbinary(h('in-reply-to')), nbinary(h('message-id')),
  ]);
}

function paramList(params: [string, string][]): Chunk {
  if (!params.length) return 'NIL';
  return paren(params.flatMap(([k, v]) => [nstring(k.toUpperCase()), nstring(v)]));
}

function disposition(part: MimePart): Chunk {
  const d = header(part, 'content-disposition');
  if (!d) return 'NIL';
  const parsed = libmime.parseHeaderValue(d);
  const params = Object.entries(parsed.params ?? {}).map(([k, v]) => [k, String(v)] as [string, string]);
  return paren([nstring(String(parsed.value).toUpperCase()), paramList(params)]);
}

function language(part: MimePart): Chunk {
  const l = header(part, 'content-language');
  if (!l) return 'NIL';
  const langs = l.split(',').map((x) => x.trim()).filter(Boolean);
  return langs.length === 1 ? nbinary(langs[0]) : paren(langs.map((x) => nbinary(x)));
}

/** BODY (extended = false) or BODYSTRUCTURE (extended = true) of a part. */
export function bodyStructure(buf: Buffer, part: MimePart, extended: boolean): Buffer {
  if (part.children.length) {
    const items: Chunk[] = [Buffer.concat(part.children.map((c) => bodyStructure(buf, c, extended))), nstring(part.subtype.toUpperCase())];
    if (extended) {
      items.push(paramList(part.params), disposition(part), language(part), nbinary(header(part, 'content-location')));
    }
    return paren(items);
  }
  const size = part.end - part.bodyStart;
  // RFC 2045 §5.2: a text part without a charset is US-ASCII; say so, as Dovecot and Cyrus do
  const params: [string, string][] = part.type === 'text' && !part.params.some(([k]) => k === 'charset')
    ? [['charset', 'us-ascii'], ...part.params] : part.params;
  const items: Chunk[] = [
    nstring(part.type.toUpperCase()), nstring(part.subtype.toUpperCase()), paramList(params),
    nbinary(header(part, 'content-id')), nbinary(header(part, 'content-description')),
    nstring((header(part, 'content-transfer-encoding') ?? '7BIT').toUpperCase()), String(size),
  ];
  if (part.message) {
    items.push(envelope(part.message), bodyStructure(buf, part.message, extended), String(lineCount(buf, part.bodyStart, part.end)));
  } else if (part.type === 'text') {
    items.push(String(lineCount(buf, part.bodyStart, part.end)));
  }
  if (extended) {
    items.push(nbinary(header(part, 'content-md5')), disposition(part), language(part), nbinary(header(part, 'content-location')));
  }
  return paren(items);
}
