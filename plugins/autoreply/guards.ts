/**
 * When not to answer (RFC 3834 §2, §3.1.8 and common practice) and when not to forward (FW-2).
 * Each function returns the reason to stay quiet, or null.
 */
import { matchesSender } from '../../policies/ims-ctl.ts';
import { firstAddress, header, headers } from './message.ts';
import { forwardedBy } from './forward.ts';

/** Senders that are programs, not people (RFC 3834 §2: owner-*, *-request, MAILER-DAEMON, list servers). */
const ROBOT = /^(mailer-daemon|postmaster|listserv|majordomo|owner-.*|.*-request|.*-owner|.*-bounces?|no-?reply)$/i;

export function noReplyReason(o: { sender: string; head: string; account: string; replyFrom?: string; noReply: readonly string[] }): string | null {
  const sender = o.sender.toLowerCase();
  if (!sender) return 'null sender';
  if (sender === o.account.toLowerCase() || sender === o.replyFrom?.toLowerCase()) return 'sent by the account itself';
  const auto = header(o.head, 'Auto-Submitted');
  if (auto && !/^\s*no\b/i.test(auto)) return `Auto-Submitted: ${auto}`;
  if (['List-Id', 'List-Unsubscribe', 'List-Post', 'List-Help'].some((h) => header(o.head, h) !== undefined)) return 'list mail';
  const precedence = header(o.head, 'Precedence');
  if (precedence && /^\s*(bulk|list|junk)\b/i.test(precedence)) return `Precedence: ${precedence}`;
  if (header(o.head, 'X-Autoreply') !== undefined || headers(o.head, 'X-Auto-Response-Suppress').some((v) => /all|oof|autoreply/i.test(v))) return 'auto-reply suppressed';
  if (ROBOT.test(sender.slice(0, sender.lastIndexOf('@')))) return 'sender is a mail robot';
  const from = firstAddress(header(o.head, 'From'));
  if (matchesSender(o.noReply, sender) || (from && matchesSender(o.noReply, from))) return 'never-reply list';
  return null;
}

export function noForwardReason(o: { sender: string; admin?: string; account: string; content: Buffer; head: string; permitFrom: readonly string[] }): string | null {
  const sender = o.sender.toLowerCase();
  // FW-2 (seed: 管理者アカウント): a bounce to the admin must not go round through a forward
  if (o.admin && sender === o.admin.toLowerCase()) return 'sent by the domain admin';
  if (forwardedBy(o.content).includes(o.account.toLowerCase())) return 'forwarded by this account before (loop)';
  if (headers(o.head, 'Received').length > 50) return 'too many hops';
  if (o.permitFrom.length) {
    const from = firstAddress(header(o.head, 'From'));
    if (!(sender && matchesSender(o.permitFrom, sender)) && !(from && matchesSender(o.permitFrom, from))) return 'sender not permitted';
  }
  return null;
}
