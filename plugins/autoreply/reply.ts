/**
 * AR-1: the auto-reply message (RFC 3834 §3): null envelope sender (set by the caller),
 * `Auto-Submitted: auto-replied`, In-Reply-To/References of the received message, text in
 * UTF-8 (base64) or ISO-2022-JP (7bit), the subject as RFC 2047 encoded words of the same
 * charset, and optionally the received message (with its headers as message/rfc822, or its
 * decoded text without them).
 */
import crypto from 'node:crypto';
import Encoding from 'encoding-japanese';
import libmime from 'libmime';
import type { ResolvedReply } from '../../policies/ims-ctl.ts';
import { header, splitMessage, withoutFields } from './message.ts';
import { isAscii } from '../../core/ascii.ts';

type Charset = ResolvedReply['charset'];

function jis(text: string): Buffer {
  return Buffer.from(Encoding.convert(Encoding.stringToCode(text), { to: 'JIS', from: 'UNICODE' }));
}

const wire = (text: string, charset: Charset) => (charset === 'iso-2022-jp' ? jis(text) : Buffer.from(text, 'utf8'));

/** RFC 2047 encoded words, a few characters each so that no word passes 75 characters (§2). */
export function encodeHeaderText(text: string, charset: Charset): string {
  const clean = text.replace(/[\r\n]+/g, ' ');
  if (isAscii(clean)) return clean;
  const chars = Array.from(clean);
  const words: string[] = [];
  for (let i = 0; i < chars.length; i += 10) {
    words.push(`=?${charset.toUpperCase()}?B?${wire(chars.slice(i, i + 10).join(''), charset).toString('base64')}?=`);
  }
  return words.join('\r\n ');
}

/** A text/plain entity (head and body) in the chosen charset. */
function textEntity(text: string, charset: Charset): string {
  const normalized = text.replace(/\r?\n/g, '\r\n').replace(/(\r\n)?$/, '\r\n');
  if (charset === 'iso-2022-jp' || isAscii(normalized)) {
    const name = charset === 'iso-2022-jp' ? 'ISO-2022-JP' : 'US-ASCII';
    return `Content-Type: text/plain; charset=${name}\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${wire(normalized, charset).toString('latin1')}`;
  }
  const b64 = Buffer.from(normalized, 'utf8').toString('base64').replace(/.{76}(?=.)/g, '$&\r\n');
  return `Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n`;
}

export interface ReplyInput {
  settings: ResolvedReply;
  /** The account (default From:). */
  account: string;
  /** Where the reply goes (the received envelope sender). */
  to: string;
  /** The received message, as stored. */
  original: Buffer;
  /** Its text, decoded (for echo without headers). */
  originalText?: string;
  hostname: string;
  now?: Date;
}

export function buildReply(input: ReplyInput): Buffer {
  const { settings: s, original } = input;
  const { head: origHead } = splitMessage(original);
  const origSubject = libmime.decodeWords(header(origHead, 'Subject') ?? '');
  const subject = s.subject ?? `Re: ${origSubject}`.trim();
  const msgId = header(origHead, 'Message-ID');
  const refs = [header(origHead, 'References'), msgId].filter(Boolean).join(' ');
  const lines = [
    `From: ${s.from ?? input.account}`,
    `To: ${input.to}`,
    ...(s.replyTo ? [`Reply-To: ${s.replyTo}`] : []),
    `Subject: ${encodeHeaderText(subject, s.charset)}`,
    `Date: ${(input.now ?? new Date()).toUTCString().replace(/GMT$/, '+0000')}`,
    `Message-ID: <${crypto.randomUUID()}@${input.hostname}>`,
    ...(msgId ? [`In-Reply-To: ${msgId}`] : []),
    ...(refs ? [`References: ${refs}`] : []),
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
  ];
  const text = textEntity(s.text, s.charset);
  if (s.echo === 'none') return Buffer.from(`${lines.join('\r\n')}\r\n${text}`, 'latin1');
  const boundary = `=_autoreply_${crypto.randomBytes(12).toString('hex')}`;
  const echoed = s.echo === 'with-headers'
    ? `Content-Type: message/rfc822\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${withoutFields(origHead, ['Return-Path'])}\r\n${splitMessage(original).body.toString('latin1')}`
    // the received text may hold what ISO-2022-JP cannot carry: it goes as UTF-8
    : textEntity(input.originalText ?? '', 'utf-8');
  return Buffer.from([
    ...lines,
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    text.replace(/(\r\n)?$/, ''),
    `--${boundary}`,
    echoed.replace(/(\r\n)?$/, ''),
    `--${boundary}--`,
    '',
  ].join('\r\n'), 'latin1');
}
