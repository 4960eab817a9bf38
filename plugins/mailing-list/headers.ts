/** Raw header work on a received message: read a field, drop fields, put fields on top. */
import libmime from 'libmime';
import { headBounds } from '../../core/message-head.ts';

export function splitMessage(message: Buffer): { head: string; body: Buffer } {
  // bounded: a header section past message.maxHeaderSectionSize is cut, the rest is body
  const b = headBounds(message);
  return { head: message.subarray(0, b.headEnd).toString('latin1'), body: message.subarray(b.bodyStart) };
}

/** The header fields, unfolded, in order (values still raw / encoded). */
export function fields(head: string): { name: string; value: string; raw: string }[] {
  const out: { name: string; value: string; raw: string }[] = [];
  for (const line of head.split('\r\n')) {
    if (!line) continue;
    if (/^[ \t]/.test(line) && out.length) {
      const last = out[out.length - 1];
      last.raw += `\r\n${line}`;
      last.value += ` ${line.trim()}`;
      continue;
    }
    const c = line.indexOf(':');
    if (c <= 0) continue;
    out.push({ name: line.slice(0, c).trim(), value: line.slice(c + 1).trim(), raw: line });
  }
  return out;
}

export function header(message: Buffer, name: string): string | undefined {
  return fields(splitMessage(message).head).find((f) => f.name.toLowerCase() === name.toLowerCase())?.value;
}

/** Decoded (RFC 2047) value of a field, '' when absent. */
export function decodedHeader(message: Buffer, name: string): string {
  const v = header(message, name);
  if (!v) return '';
  try {
    return libmime.decodeWords(Buffer.from(v, 'latin1').toString('utf8'));
  } catch {
    return v;
  }
}

/** A header value ready to write: RFC 2047 encoded when it is not plain ASCII. */
export function encodeValue(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : libmime.encodeWords(value, 'B', 52, 'utf-8');
}

/** The message without the `drop` fields and with `add` on top (values written as given). */
export function rewrite(message: Buffer, drop: string[], add: { name: string; value: string }[]): Buffer {
  const { head, body } = splitMessage(message);
  const gone = new Set(drop.map((d) => d.toLowerCase()));
  const kept = fields(head).filter((f) => !gone.has(f.name.toLowerCase())).map((f) => f.raw);
  const top = add.map((f) => `${f.name}: ${f.value}`);
  return Buffer.concat([Buffer.from([...top, ...kept].join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}

/** The bare address of a From-style value (`Name <a@b>` → a@b). */
export function addressOf(value: string | undefined): string {
  if (!value) return '';
  const m = /<([^<>]*)>/.exec(value);
  return (m ? m[1] : value).trim();
}
