/**
 * FETCH data items (RFC 3501 §6.4.5, §7.4.2; RFC 7162 MODSEQ): parsing the request and
 * rendering one message's response. Message bytes are read only when an item needs them.
 */
import type { MessageMeta } from '../../../core/store/ports.ts';
import { BadArgument, type Token } from '../parser.ts';
import { dateTime, join, type Chunk } from '../wire.ts';
import { binaryBytes, binaryLiteral } from '../message/binary.ts';
import { cachedMime, partAt, type MimePart } from '../message/mime.ts';
import { bodyStructure, envelope } from '../message/structure.ts';
import { threadId } from '../message/object-ids.ts';
import { U } from '../untagged.ts';

export interface Section {
  /** Part numbers, empty for the whole message. */
  path: number[];
  spec: '' | 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';
  fields: string[];
}

export type FetchItem =
  | { kind: 'UID' | 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODYSTRUCTURE' | 'BODY' | 'MODSEQ' | 'EMAILID' | 'THREADID' }
  | { kind: 'section'; name: string; peek: boolean; section: Section; partial: [number, number] | null; setsSeen: boolean }
  /** BINARY[part]<partial>, BINARY.PEEK[...] and BINARY.SIZE[part] (RFC 3516). */
  | { kind: 'binary'; name: string; path: number[]; size: boolean; partial: [number, number] | null; setsSeen: boolean };

const SIMPLE = new Set(['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODYSTRUCTURE', 'BODY', 'MODSEQ', 'EMAILID', 'THREADID']);
const MACROS: Record<string, string[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

function parseSection(text: string): Section {
  const m = /^((?:\d+\.)*\d+)?(?:\.?(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME))?(?: \((.*)\))?$/i.exec(text);
  if (!m || (m[1] === undefined && m[2] === undefined && text !== '')) throw new BadArgument(`Invalid section [${text}]`);
  if (m[1] !== undefined && m[2] !== undefined && !text.slice(m[1].length).startsWith('.')) throw new BadArgument(`Invalid section [${text}]`);
  const path = m[1] ? m[1].split('.').map(Number) : [];
  if (path.some((n) => n < 1)) throw new BadArgument(`Invalid section [${text}]`);
  const spec = (m[2]?.toUpperCase() ?? '') as Section['spec'];
  if (spec === 'MIME' && !path.length) throw new BadArgument('MIME needs a part number');
  const hasFields = spec === 'HEADER.FIELDS' || spec === 'HEADER.FIELDS.NOT';
  if (hasFields !== (m[3] !== undefined)) throw new BadArgument(`Invalid section [${text}]`);
  const fields = m[3] ? m[3].split(/\s+/).filter(Boolean).map((f) => f.replace(/^"|"$/g, '')) : [];
  if (hasFields && !fields.length) throw new BadArgument('Empty header list');
  return { path, spec, fields };
}

function parseItem(word: string): FetchItem {
  const up = word.toUpperCase();
  if (SIMPLE.has(up)) return { kind: up as 'UID' };
  if (up === 'RFC822') return { kind: 'section', name: 'RFC822', peek: false, section: { path: [], spec: '', fields: [] }, partial: null, setsSeen: true };
  if (up === 'RFC822.HEADER') return { kind: 'section', name: 'RFC822.HEADER', peek: true, section: { path: [], spec: 'HEADER', fields: [] }, partial: null, setsSeen: false };
  if (up === 'RFC822.TEXT') return { kind: 'section', name: 'RFC822.TEXT', peek: false, section: { path: [], spec: 'TEXT', fields: [] }, partial: null, setsSeen: true };
  const b = /^BINARY(\.PEEK|\.SIZE)?\[((?:\d+\.)*\d+)?\](?:<(\d+)\.(\d+)>)?$/i.exec(word);
  if (b) {
    const kind = b[1]?.toUpperCase() ?? '';
    const path = b[2] ? b[2].split('.').map(Number) : [];
    if (path.some((n) => n < 1)) throw new BadArgument(`Invalid section [${b[2]}]`);
    const partial: [number, number] | null = b[3] !== undefined ? [Number(b[3]), Number(b[4])] : null;
    if (partial && (kind === '.SIZE' || partial[1] === 0)) throw new BadArgument('Invalid partial');
    const size = kind === '.SIZE';
    return { kind: 'binary', name: `BINARY${size ? '.SIZE' : ''}[${b[2] ?? ''}]`, path, size, partial, setsSeen: kind === '' };
  }
  const m = /^(BODY(?:\.PEEK)?)\[([^\]]*)\](?:<(\d+)\.(\d+)>)?$/i.exec(word);
  if (!m) throw new BadArgument(`Invalid fetch item ${word.slice(0, 40)}`);
  const peek = m[1].toUpperCase() === 'BODY.PEEK';
  const section = parseSection(m[2]);
  const partial: [number, number] | null = m[3] !== undefined ? [Number(m[3]), Number(m[4])] : null;
  if (partial && partial[1] === 0) throw new BadArgument('Partial length must be positive');
  // the response names the section as requested, field names upper-cased
  const name = `BODY[${m[2].replace(/^([\d.]*[A-Za-z.]*)/, (x) => x.toUpperCase())}]`;
  return { kind: 'section', name, peek, section, partial, setsSeen: !peek };
}

/** Parses `ALL | FAST | FULL | att | (att att ...)`. */
export function parseFetchItems(tok: Token | undefined): FetchItem[] {
  if (!tok) throw new BadArgument('Missing fetch items');
  if (tok.t === 'atom') {
    const macro = MACROS[tok.v.toUpperCase()];
    return (macro ?? [tok.v]).map(parseItem);
  }
  if (tok.t === 'list' && tok.v.length) {
    return tok.v.map((x) => {
      if (x.t !== 'atom') throw new BadArgument('Invalid fetch item');
      return parseItem(x.v);
    });
  }
  throw new BadArgument('Invalid fetch items');
}

/** `BODY[]<start.length>`: answered from a byte range of the stored message, never the whole. */
export const isRangeItem = (i: FetchItem) => i.kind === 'section' && !i.section.path.length && i.section.spec === '' && i.partial !== null;

/** `BODY[]`, `BODY.PEEK[]`, `RFC822`: the whole message as it is stored, which can be streamed. */
export const isWholeItem = (i: FetchItem) => i.kind === 'section' && !i.section.path.length && i.section.spec === '' && i.partial === null;

/** Marks, in a rendered response, where a streamed whole message goes (see RenderContext.streamSize). */
export const STREAM_MARK = 0x00;

/** Whether the message must be read whole (parsed), or ranges of it (or a stream) are enough. */
export const needsParsing = (items: FetchItem[]) =>
  items.some((i) => (i.kind === 'section' && !isRangeItem(i) && !isWholeItem(i)) || i.kind === 'binary' || i.kind === 'ENVELOPE' || i.kind === 'BODYSTRUCTURE' || i.kind === 'BODY' || i.kind === 'THREADID');

/** ENVELOPE, THREADID and BODY[HEADER…] of the whole message: the header section alone answers them. */
export const isHeaderItem = (i: FetchItem) =>
  i.kind === 'ENVELOPE' || i.kind === 'THREADID' || (i.kind === 'section' && !i.section.path.length && (i.section.spec === 'HEADER' || i.section.spec === 'HEADER.FIELDS' || i.section.spec === 'HEADER.FIELDS.NOT'));

/** Every item that needs the message needs only its header section. */
export const needsHeaderOnly = (items: FetchItem[]) => items.some(isHeaderItem) && !needsParsing(items.filter((i) => !isHeaderItem(i)));

/** Whether the message must be read whole (parsed), or ranges of it are enough. */
export const needsContent = (items: FetchItem[]) =>
  items.some((i) => (i.kind === 'section' && !isRangeItem(i)) || i.kind === 'binary' || i.kind === 'ENVELOPE' || i.kind === 'BODYSTRUCTURE' || i.kind === 'BODY' || i.kind === 'THREADID');

function headerBlock(buf: Buffer, part: MimePart): Buffer {
  return buf.subarray(part.start, part.bodyStart);
}

function filterHeaders(part: MimePart, fields: string[], not: boolean): Buffer {
  const want = new Set(fields.map((f) => f.toLowerCase()));
  const lines = part.headers.filter((h) => want.has(h.key) !== not).map((h) => h.raw + '\r\n');
  return Buffer.from(lines.join('') + '\r\n', 'latin1');
}

/** The bytes of a section, or null when the part does not exist (answered as empty). */
export function sectionBytes(buf: Buffer, root: MimePart, s: Section): Buffer {
  const part = s.path.length ? partAt(root, s.path) : root;
  if (!part) return Buffer.alloc(0);
  // HEADER/TEXT of a message/rfc822 part refer to the encapsulated message
  const msg = s.path.length && s.spec !== 'MIME' && s.spec !== '' ? part.message : part;
  switch (s.spec) {
    case '':
      return s.path.length ? buf.subarray(part.bodyStart, part.end) : buf;
    case 'MIME':
      return headerBlock(buf, part);
    case 'HEADER':
      return msg ? headerBlock(buf, msg) : Buffer.alloc(0);
    case 'HEADER.FIELDS':
    case 'HEADER.FIELDS.NOT':
      return msg ? filterHeaders(msg, s.fields, s.spec === 'HEADER.FIELDS.NOT') : Buffer.alloc(0);
    case 'TEXT':
      return msg ? buf.subarray(msg.bodyStart, msg.end) : Buffer.alloc(0);
  }
}

export interface RenderContext {
  seq: number;
  msg: MessageMeta;
  flags: string[];
  content: Buffer | null;
  /** Bytes of the range items, read from the store without the rest of the message. */
  ranges?: Map<FetchItem, Buffer>;
  /**
   * Without `content`: the size of the whole message, which the caller streams. Each whole item
   * renders as its literal's announcement followed by one STREAM_MARK byte, where the caller
   * writes the message (nothing else in such a response holds a NUL byte).
   */
  streamSize?: number;
  /** UTF8=ACCEPT enabled: UTF-8 ENVELOPE strings go quoted (utf8-accept.ts). */
  utf8?: boolean;
}

/**
 * `<start.length>` of a section (RFC 3501 §6.4.5): the bytes from `start`, at most `length`
 * of them (none when `start` is past the end), and the response names the item with `<start>`.
 */
function partialOf(name: string, bytes: Buffer, partial: [number, number] | null): { name: string; bytes: Buffer } {
  if (!partial) return { name, bytes };
  const [start, len] = partial;
  return { name: `${name}<${start}>`, bytes: start >= bytes.length ? Buffer.alloc(0) : bytes.subarray(start, start + len) };
}

/** One `* n FETCH (...)` response (its framing from untagged.ts). */
export function renderFetch(items: FetchItem[], ctx: RenderContext): Buffer {
  const out: Chunk[] = [];
  const { msg, content } = ctx;
  const root = content ? cachedMime(msg.blobId, content) : null;
  for (const item of items) {
    switch (item.kind) {
      case 'UID': out.push(`UID ${msg.uid}`); break;
      case 'FLAGS': out.push(`FLAGS (${ctx.flags.join(' ')})`); break;
      case 'INTERNALDATE': out.push(`INTERNALDATE ${dateTime(msg.internalDate)}`); break;
      case 'RFC822.SIZE': out.push(`RFC822.SIZE ${msg.size}`); break;
      case 'MODSEQ': out.push(`MODSEQ (${msg.modseq})`); break;
      // RFC 8474 §5.1, §5.2: EMAILID (M...) and THREADID (T...), each a parenthesised objectid
      case 'EMAILID': out.push(`EMAILID (${msg.emailId})`); break;
      case 'THREADID': out.push(`THREADID (${threadId(root, msg.emailId)})`); break;
      case 'ENVELOPE': out.push(join(['ENVELOPE', envelope(root!, ctx.utf8)])); break;
      case 'BODYSTRUCTURE': out.push(join(['BODYSTRUCTURE', bodyStructure(content!, root!, true, ctx.utf8)])); break;
      case 'BODY': out.push(join(['BODY', bodyStructure(content!, root!, false, ctx.utf8)])); break;
      case 'section': {
        if (!content && ctx.streamSize !== undefined && isWholeItem(item)) {
          out.push(Buffer.concat([Buffer.from(`${item.name} {${ctx.streamSize}}\r\n`), Buffer.from([STREAM_MARK])]));
          break;
        }
        const ranged = ctx.ranges?.get(item);
        if (ranged) {
          out.push(join([`${item.name}<${item.partial![0]}>`, literal(ranged)]));
          break;
        }
        const { name, bytes } = partialOf(item.name, sectionBytes(content!, root!, item.section), item.partial);
        out.push(join([name, literal(bytes)]));
        break;
      }
      case 'binary': {
        const decoded = binaryBytes(content!, root!, item.path);
        if (item.size) {
          out.push(`${item.name} ${decoded.length}`);
          break;
        }
        const { name, bytes } = partialOf(item.name, decoded, item.partial);
        out.push(join([name, binaryLiteral(bytes)]));
        break;
      }
    }
  }
  return U.fetch(ctx.seq, join(out));
}

function literal(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`{${bytes.length}}\r\n`), bytes]);
}
