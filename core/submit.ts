/**
 * The one way a plugin (or the appliance itself) hands the appliance a message it made or
 * passes on — a journal copy, a filter's forward, a virus notification, a list's answer, an
 * auto-reply, a bounce — as Haraka's outbound.send_email does. Each recipient is resolved as an
 * SMTP RCPT is (aliases, hosted domains, postmaster): local accounts get it through the
 * local_delivery hooks (their filters, forwards, auto-replies), the others through the
 * outbound queue. The promise resolves once everything is committed durably.
 */
import type { MessageContent } from './store/content.ts';

/** Who submits: for the logs, and so a plugin can tell its own mail coming back. */
export type SubmitOrigin = 'journal' | 'filter' | 'antivirus' | 'list' | 'autoreply' | 'bounce';

export interface Submission {
  /** Envelope sender; '' is the null sender (reports, notifications: RFC 3834 §3.3). */
  from: string;
  to: string[];
  /** The whole message, headers included (a spooled MessageContent is copied, never loaded). */
  content: Buffer | MessageContent;
  origin: SubmitOrigin;
}

export type Submit = (submission: Submission) => Promise<void>;
