/** Notices and command answers, built with nodemailer's MailComposer (RFC 2047 / charset encoding). */
import MailComposer from 'nodemailer/lib/mail-composer';

export interface Notice {
  from: string;
  to: string;
  subject: string;
  text: string;
  replyTo?: string;
  inReplyTo?: string;
  /** Archived posts, attached as message/rfc822. */
  messages?: { n: number; content: Buffer }[];
}

export function composeNotice(n: Notice, hostname: string): Promise<Buffer> {
  const mail = new MailComposer({
    from: n.from,
    to: n.to,
    subject: n.subject,
    text: n.text,
    replyTo: n.replyTo,
    inReplyTo: n.inReplyTo,
    references: n.inReplyTo,
    messageId: `<${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}@${hostname}>`,
    // RFC 3834: an automatic answer, never to be answered automatically in turn
    headers: { 'Auto-Submitted': 'auto-replied', Precedence: 'list' },
    attachments: n.messages?.map((m) => ({ filename: `${m.n}.eml`, content: m.content, contentType: 'message/rfc822' })),
  });
  return mail.compile().build();
}
