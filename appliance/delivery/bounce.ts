/**
 * Non-delivery reports: RFC 3464 delivery status notifications in an RFC 6522
 * multipart/report, sent from the null sender (RFC 5321 §4.5.5) so that a bounce never bounces.
 *
 * A message that needed SMTPUTF8 (RFC 6531: a UTF-8 envelope address or UTF-8 header fields,
 * smtputf8.ts) gets an internationalized report instead (RFC 6533): the status part is
 * message/global-delivery-status (§6.1; the multipart/report's report-type names that subtype,
 * RFC 6522 §3), a UTF-8 recipient is given with the `utf-8` address type (§3), and the returned
 * message is message/global, its header section alone message/global-headers (RFC 6532 §3.7,
 * RFC 6533 §6.3). ASCII mail keeps the RFC 3464 report as it was.
 */
import crypto from 'node:crypto';
import { statusOf } from './retry.ts';
import { smtpUtf8Need } from './smtputf8.ts';
import { NON_ASCII } from '../../core/ascii.ts';

export interface FailedRecipient {
  recipient: string;
  error: string;
  /** The host that answered, when one did. */
  remoteMta?: string;
}

export interface BounceInput {
  /** Our host name (Reporting-MTA). */
  reportingMta: string;
  from: string;
  /** The envelope sender of the failed message: the bounce's To:. */
  to: string;
  queueId: string;
  arrival: Date;
  original: Buffer;
  failed: FailedRecipient[];
  returnContent: 'headers' | 'full';
  now?: Date;
  /**
   * The original needed SMTPUTF8 (every envelope address of it, and its header, considered).
   * Default: decided from `to`, the failed recipients and `original`.
   */
  smtpUtf8?: boolean;
}

const CRLF = '\r\n';

/** The header block of a message (up to the first empty line). */
export function headerBlock(message: Buffer): Buffer {
  const end = message.indexOf('\r\n\r\n');
  return end < 0 ? message : message.subarray(0, end + 2);
}

function fold(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 900);
}

/**
 * `utf-8; local@domain` (RFC 6533 §3, the utf-8-addr-unitext form used in
 * message/global-delivery-status): UTF-8 as it is; controls, space, `\`, `+` and `=` as
 * EmbeddedUnicodeChar `\x{HEX}`. An ASCII address stays `rfc822; …` (RFC 3464 §2.3.2).
 */
export function recipientField(address: string): string {
  if (!NON_ASCII.test(address)) return `rfc822; ${address}`;
  return `utf-8; ${address.replace(/[\x00-\x20\x7f\\+=]/g, (c) => `\\x{${c.charCodeAt(0).toString(16).toUpperCase()}}`)}`;
}

/** The diagnostic of an SMTP reply (`smtp; 550 5.1.1 ...`) or of our own finding. */
function diagnostic(error: string): string {
  const said = error.indexOf(' said: ');
  return said >= 0 ? `smtp; ${fold(error.slice(said + 7))}` : `x-local; ${fold(error)}`;
}

export function buildBounce(b: BounceInput): Buffer {
  const now = b.now ?? new Date();
  const global = b.smtpUtf8 ?? smtpUtf8Need(b.to, b.failed.map((f) => f.recipient), b.original) !== null;
  const report = global ? 'global-delivery-status' : 'delivery-status';
  const returnedType = b.returnContent === 'full' ? (global ? 'message/global' : 'message/rfc822') : (global ? 'message/global-headers' : 'text/rfc822-headers');
  const boundary = `=_bounce_${crypto.randomBytes(12).toString('hex')}`;
  const date = now.toUTCString().replace('GMT', '+0000');
  const human = [
    `This is the mail system at host ${b.reportingMta}.`,
    '',
    "I'm sorry to have to inform you that your message could not be delivered to one or more",
    'recipients. It is attached below.',
    '',
    ...b.failed.map((f) => `<${f.recipient}>: ${fold(f.error)}`),
  ];
  const perRecipient = b.failed.flatMap((f) => [
    '',
    `Final-Recipient: ${recipientField(f.recipient)}`,
    'Action: failed',
    `Status: ${statusOf(f.error)}`,
    ...(f.remoteMta ? [`Remote-MTA: dns; ${f.remoteMta}`] : []),
    `Diagnostic-Code: ${diagnostic(f.error)}`,
    `Last-Attempt-Date: ${date}`,
  ]);
  const returned = b.returnContent === 'full' ? b.original : headerBlock(b.original);
  const parts = [
    `From: Mail Delivery System <${b.from}>`,
    `To: <${b.to}>`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${date}`,
    `Message-ID: <${b.queueId}.${crypto.randomBytes(6).toString('hex')}@${b.reportingMta}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=${report}; boundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Description: Notification',
    '',
    ...human,
    '',
    `--${boundary}`,
    `Content-Type: message/${report}`,
    'Content-Description: Delivery report',
    '',
    `Reporting-MTA: dns; ${b.reportingMta}`,
    `X-Queue-ID: ${b.queueId}`,
    `Arrival-Date: ${b.arrival.toUTCString().replace('GMT', '+0000')}`,
    ...perRecipient,
    '',
    `--${boundary}`,
    `Content-Type: ${returnedType}`,
    `Content-Description: ${b.returnContent === 'full' ? 'Undelivered Message' : 'Undelivered Message Headers'}`,
    '',
  ].join(CRLF);
  const tail = `${CRLF}--${boundary}--${CRLF}`;
  const body = returned.toString('latin1').replace(/\r?\n$/, '');
  return Buffer.concat([Buffer.from(parts + CRLF, 'utf8'), Buffer.from(body, 'latin1'), Buffer.from(tail)]);
}
