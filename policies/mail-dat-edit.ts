/**
 * The changes a mail.dat rule makes to a message (MF-1): a tag inserted into the Subject (3xx),
 * a tag added as a header (4xx), a warning put in front of the body (2xx). Pure functions on the
 * raw bytes; headers are handled as latin1 so that 8-bit bytes pass through unchanged.
 */
import crypto from 'node:crypto';
import libmime from 'libmime';
import { decodeHeaderBytes } from './mail-dat-decode.ts';

function split(message: Buffer): { head: string[]; body: Buffer } {
  const end = message.indexOf('\r\n\r\n');
  if (end < 0) return { head: message.toString('latin1').split('\r\n').filter(Boolean), body: Buffer.alloc(0) };
  return { head: message.subarray(0, end).toString('latin1').split('\r\n'), body: message.subarray(end + 4) };
}

/** Header lines grouped with their continuation lines. */
function fields(head: string[]): string[][] {
  const out: string[][] = [];
  for (const line of head) {
    if (/^[ \t]/.test(line) && out.length) out[out.length - 1].push(line);
    else out.push([line]);
  }
  return out;
}

const nameOf = (field: string[]) => field[0].slice(0, Math.max(0, field[0].indexOf(':'))).trim().toLowerCase();

function join(head: string[][], body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(head.flat().join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}

function encodeValue(text: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x20-\x7e]*$/.test(text) ? text : libmime.encodeWords(text, 'B', 52);
}

/** A header line of the message; the first one in the block. */
export function addHeader(message: Buffer, name: string, value: string): Buffer {
  const { head, body } = split(message);
  return join([[`${name}: ${encodeValue(value)}`], ...fields(head)], body);
}

/** `Tag:X-SPAM:TRUE` → header X-SPAM: TRUE; a tag that is not `name:value` goes in X-Mail-Filter. */
export function headerOfTag(tag: string): { name: string; value: string } {
  const m = /^([!-9;-~]+):\s*(.*)$/.exec(tag.trim());
  return m ? { name: m[1], value: m[2] } : { name: 'X-Mail-Filter', value: tag.trim() };
}

/** Inserts `tag` at the front of the Subject (a Subject is added when there is none). */
export function tagSubject(message: Buffer, tag: string): Buffer {
  const { head, body } = split(message);
  const list = fields(head);
  const i = list.findIndex((f) => nameOf(f) === 'subject');
  const old = i < 0 ? '' : decodeHeaderBytes(Buffer.from(list[i].join('\r\n').slice(list[i][0].indexOf(':') + 1).replace(/\r\n/g, '').trim(), 'latin1'));
  const line = [`Subject: ${encodeValue(old ? `${tag} ${old}` : tag)}`];
  if (i < 0) list.push(line);
  else list[i] = line;
  return join(list, body);
}

function base64Lines(text: string): string {
  return (Buffer.from(text, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/**
 * Puts the warning text in front of the body: the message becomes multipart/mixed whose first
 * part is the warning (UTF-8 text) and whose second part is the original body with its own
 * Content-* headers, so any original structure and charset stays intact.
 */
export function prependWarning(message: Buffer, warning: string[]): Buffer {
  const { head, body } = split(message);
  const list = fields(head);
  const isContent = (f: string[]) => nameOf(f).startsWith('content-') || nameOf(f) === 'mime-version';
  const contentFields = list.filter((f) => isContent(f) && nameOf(f) !== 'mime-version');
  const boundary = `----=_warning_${crypto.randomBytes(9).toString('hex')}`;
  const outer = [
    ...list.filter((f) => !isContent(f)),
    ['MIME-Version: 1.0'],
    [`Content-Type: multipart/mixed; boundary="${boundary}"`],
  ];
  const inner = contentFields.length ? contentFields.flat().join('\r\n') : 'Content-Type: text/plain; charset=us-ascii';
  const text = warning.join('\r\n') + '\r\n';
  const parts = Buffer.concat([
    Buffer.from(`This is a multi-part message in MIME format.\r\n--${boundary}\r\n`
      + 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: inline\r\n\r\n'
      + `${base64Lines(text)}\r\n--${boundary}\r\n${inner}\r\n\r\n`, 'latin1'),
    body,
    Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'),
  ]);
  return join(outer, parts);
}
