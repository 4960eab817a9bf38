/**
 * Non-delivery reports: RFC 3464 delivery status notifications in an RFC 6522
 * multipart/report, sent from the null sender (RFC 5321 §4.5.5) so that a bounce never bounces.
 */
import crypto from 'node:crypto';
import { statusOf } from './retry.ts';

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

/** The diagnostic of an SMTP reply (`smtp; 550 5.1.1 ...`) or of our own finding. */
function diagnostic(error: string): string {
  const said = error.indexOf(' said: ');
  return said >= 0 ? `smtp; ${fold(error.slice(said + 7))}` : `x-local; ${fold(error)}`;
}

export function buildBounce(b: BounceInput): Buffer {
  const now = b.now ?? new Date();
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
    `Final-Recipient: rfc822; ${f.recipient}`,
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
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
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
    'Content-Type: message/delivery-status',
    'Content-Description: Delivery report',
    '',
    `Reporting-MTA: dns; ${b.reportingMta}`,
    `X-Queue-ID: ${b.queueId}`,
    `Arrival-Date: ${b.arrival.toUTCString().replace('GMT', '+0000')}`,
    ...perRecipient,
    '',
    `--${boundary}`,
    `Content-Type: ${b.returnContent === 'full' ? 'message/rfc822' : 'text/rfc822-headers'}`,
    `Content-Description: ${b.returnContent === 'full' ? 'Undelivered Message' : 'Undelivered Message Headers'}`,
    '',
  ].join(CRLF);
  const tail = `${CRLF}--${boundary}--${CRLF}`;
  const body = returned.toString('latin1').replace(/\r?\n$/, '');
  return Buffer.concat([Buffer.from(parts + CRLF, 'utf8'), Buffer.from(body, 'latin1'), Buffer.from(tail)]);
}
