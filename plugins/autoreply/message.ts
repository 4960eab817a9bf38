/** Just enough RFC 5322 / MIME handling for forwards and replies: header block, fields, parts. */
import { headBounds } from '../../core/message-head.ts';

export interface SplitMessage {
  /** The header block including its final CRLF (without the empty line). */
  head: string;
  body: Buffer;
}

export function splitMessage(content: Buffer): SplitMessage {
  // bounded: a header section past message.maxHeaderSectionSize is cut, the rest is body
  const b = headBounds(content);
  if (b.cut && b.bodyStart === content.length) return { head: content.toString('latin1').replace(/(\r\n)?$/, '\r\n'), body: Buffer.alloc(0) };
  return { head: content.subarray(0, b.headEnd).toString('latin1'), body: content.subarray(b.bodyStart) };
}

/** Header fields in order, unfolded, names as written (values are latin1 strings of the raw bytes). */
export function headerFields(head: string): { name: string; value: string; raw: string }[] {
  const out: { name: string; value: string; raw: string }[] = [];
  for (const raw of head.split(/\r\n(?![ \t])/)) {
    if (!raw) continue;
    const colon = raw.indexOf(':');
    if (colon <= 0) continue;
    out.push({ name: raw.slice(0, colon).trim(), value: raw.slice(colon + 1).replace(/\r\n[ \t]/g, ' ').trim(), raw: `${raw}\r\n` });
  }
  return out;
}

export function header(head: string, name: string): string | undefined {
  const n = name.toLowerCase();
  return headerFields(head).find((f) => f.name.toLowerCase() === n)?.value;
}

export function headers(head: string, name: string): string[] {
  const n = name.toLowerCase();
  return headerFields(head).filter((f) => f.name.toLowerCase() === n).map((f) => f.value);
}

/** The head without the named fields. */
export function withoutFields(head: string, names: string[]): string {
  const drop = names.map((n) => n.toLowerCase());
  return headerFields(head).filter((f) => !drop.includes(f.name.toLowerCase())).map((f) => f.raw).join('');
}

/** The first address of an address header (`Name <a@b>` or `a@b`), lower-cased; '' when none. */
export function firstAddress(value: string | undefined): string {
  if (!value) return '';
  const angle = /<([^<>@\s]+@[^<>\s]+)>/.exec(value);
  if (angle) return angle[1].toLowerCase();
  return /([^\s"<>,;:]+@[^\s"<>,;:]+)/.exec(value)?.[1].toLowerCase() ?? '';
}

/** A parameter of a structured header value (`boundary`, `name`, `filename`). */
export function param(value: string | undefined, name: string): string | undefined {
  if (!value) return undefined;
  const m = new RegExp(`(?:^|;)\\s*${name}\\*?=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Parts of a multipart body (each with its own head), the preamble and epilogue dropped. */
export function multipartParts(body: Buffer, boundary: string): Buffer[] | null {
  const text = body.toString('latin1');
  const delim = `--${boundary}`;
  const lines = text.split('\r\n');
  const parts: string[][] = [];
  let current: string[] | null = null;
  for (const line of lines) {
    if (line.trimEnd() === `${delim}--`) {
      if (current) parts.push(current);
      current = null;
      break;
    }
    if (line.trimEnd() === delim) {
      if (current) parts.push(current);
      current = [];
      continue;
    }
    current?.push(line);
  }
  if (current) parts.push(current);
  // no delimiter line at all: not the multipart it claims to be
  if (!parts.length) return null;
  return parts.map((p) => Buffer.from(p.join('\r\n'), 'latin1'));
}
