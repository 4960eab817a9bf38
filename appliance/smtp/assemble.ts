/**
 * Builds the stored message: trace headers on top (RFC 5321 §4.4: Return-Path at final
 * delivery, Received by every server), then headers added by plugins, then the original
 * message without the headers plugins removed.
 */
import { MessageContent } from '../../core/store/content.ts';

/** Index where the header block ends (start of the blank line), or -1 if none. */
function headerEnd(msg: Buffer): number {
  const crlf = msg.indexOf('\r\n\r\n');
  return crlf >= 0 ? crlf + 2 : -1;
}

/** Drops every occurrence (with folded continuation lines) of the named headers. */
export function removeHeaders(msg: Buffer, names: string[]): Buffer {
  if (!names.length) return msg;
  const end = headerEnd(msg);
  const headerText = (end >= 0 ? msg.subarray(0, end) : msg).toString('latin1');
  const drop = new Set(names.map((n) => n.toLowerCase()));
  const lines = headerText.split('\r\n');
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      if (!dropping) kept.push(line);
      continue;
    }
    const name = line.slice(0, line.indexOf(':')).trim().toLowerCase();
    dropping = line.includes(':') && drop.has(name);
    if (!dropping) kept.push(line);
  }
  const head = Buffer.from(kept.join('\r\n'), 'latin1');
  return end >= 0 ? Buffer.concat([head, msg.subarray(end)]) : head;
}

export function assembleMessage(
  original: Buffer,
  trace: { name: string; value: string }[],
  added: { name: string; value: string }[],
  removed: string[],
): Buffer {
  const top = [...trace, ...added].map((h) => `${h.name}: ${h.value}\r\n`).join('');
  return Buffer.concat([Buffer.from(top, 'utf8'), removeHeaders(original, removed)]);
}

/**
 * assembleMessage for content that may be spooled: only the header section is read (to drop
 * removed headers); the body stays where it is, as a range of the spool file.
 */
export async function assembleContent(
  original: MessageContent,
  trace: { name: string; value: string }[],
  added: { name: string; value: string }[],
  removed: string[],
): Promise<MessageContent> {
  if (original.buffer) return MessageContent.of(assembleMessage(original.buffer, trace, added, removed));
  const top = Buffer.from([...trace, ...added].map((h) => `${h.name}: ${h.value}\r\n`).join(''), 'utf8');
  if (!removed.length) return original.prepend(top);
  const header = await original.header();
  // a header section without its end within the limit: done on the whole message
  if (!header.subarray(-4).equals(Buffer.from('\r\n\r\n'))) return MessageContent.of(assembleMessage(await original.toBuffer(), trace, added, removed));
  return new MessageContent([top, removeHeaders(header, removed), ...original.slice(header.length).segments]);
}
