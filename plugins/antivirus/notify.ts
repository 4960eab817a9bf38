/**
 * AV-2 notifications: who gets them (&TO, &FROM, &RCV, &SND and the sender), the message (the
 * first address in To:, the rest in Cc:), and how it is sent (an SMTP server with AUTH PLAIN
 * through nodemailer, or the appliance's own store and queue).
 */
import os from 'node:os';
import addressparser from 'nodemailer/lib/addressparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import nodemailer from 'nodemailer';
import { decodeHeaderBytes, rawHeaders } from '../../policies/mail-dat-decode.ts';
import type { Submit } from '../../core/submit.ts';
import type { NotifyOptions } from './options.ts';

export interface Detection {
  viruses: string[];
  /** Envelope sender ('' = null sender) and recipients. */
  sender: string;
  rcpts: string[];
  clientIp: string;
  message: Buffer;
  queueId: string;
}

/** The first address of a header (decoded), or ''. */
export function firstHeaderAddress(message: Buffer, name: string): string {
  const h = rawHeaders(message).find(([n]) => n === name.toLowerCase());
  if (!h) return '';
  const flat = (list: ReturnType<typeof addressparser>): string[] =>
    list.flatMap((a) => ('group' in a && a.group ? flat(a.group) : [a.address ?? '']));
  return flat(addressparser(decodeHeaderBytes(h[1]))).find(Boolean) ?? '';
}

/** Expands the recipient list: variables, the sender target, without duplicates or empty (null sender) entries. */
export function expandRecipients(o: Pick<NotifyOptions, 'recipients' | 'target'>, d: Pick<Detection, 'sender' | 'rcpts' | 'message'>): string[] {
  const out: string[] = [];
  const add = (a: string) => {
    const v = a.trim();
    if (v && v.includes('@') && !out.some((x) => x.toLowerCase() === v.toLowerCase())) out.push(v);
  };
  if (o.target !== 'sender') {
    for (const item of o.recipients.flatMap((r) => r.split(','))) {
      switch (item.trim().toUpperCase()) {
        case '&TO': add(firstHeaderAddress(d.message, 'To')); break;
        case '&FROM': add(firstHeaderAddress(d.message, 'From')); break;
        case '&RCV': d.rcpts.forEach(add); break;
        case '&SND': add(d.sender); break;
        default: add(item);
      }
    }
  }
  if (o.target !== 'list') add(d.sender);
  return out;
}

export function notificationText(d: Detection): string {
  const subject = rawHeaders(d.message).find(([n]) => n === 'subject');
  return [
    `A message was refused because a virus was found in it.`, '',
    `Virus:      ${d.viruses.join(', ')}`,
    `Sender:     <${d.sender}>`,
    `Recipients: ${d.rcpts.map((r) => `<${r}>`).join(', ')}`,
    `Subject:    ${subject ? decodeHeaderBytes(subject[1]) : ''}`,
    `Client:     [${d.clientIp}]`,
    `Session:    ${d.queueId}`,
    `Server:     ${os.hostname()}`, '',
  ].join('\n');
}

export async function buildNotification(o: NotifyOptions, to: string[], d: Detection): Promise<Buffer> {
  const mail = new MailComposer({
    from: { name: o.fromName, address: o.from }, to: to[0], cc: to.slice(1), subject: `${o.subject}: ${d.viruses.join(', ')}`,
    text: notificationText(d), headers: { 'Auto-Submitted': 'auto-generated' },
  });
  return mail.compile().build();
}

/** Sends one notification; resolves when it is committed (store) or accepted by the server (SMTP). */
export async function sendNotification(o: NotifyOptions, submit: Submit, d: Detection): Promise<string[]> {
  const to = expandRecipients(o, d);
  if (!to.length) return [];
  const content = await buildNotification(o, to, d);
  if (!o.smtp) {
    // the null sender, as for bounces: a notification must not cause mail back (RFC 3834 §3.3)
    await submit({ from: '', to, content, origin: 'antivirus' });
    return to;
  }
  const transport = nodemailer.createTransport({
    host: o.smtp.host, port: o.smtp.port, secure: false, ignoreTLS: !o.smtp.user,
    auth: o.smtp.user ? { user: o.smtp.user, pass: o.smtp.pass ?? '' } : undefined, authMethod: 'PLAIN',
    tls: { rejectUnauthorized: false }, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000,
  });
  try {
    await transport.sendMail({ envelope: { from: o.from, to }, raw: content });
  } finally {
    transport.close();
  }
  return to;
}
