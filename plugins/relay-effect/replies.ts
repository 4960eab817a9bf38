/** Every reply relay-effect gives, by stable name (DESIGN.md convention 12). */
import { reject, tempfail, type Verdict } from '../../core/verdict.ts';
import type { RelayRefusal } from '../../policies/effect-rules.ts';

export const RELAY_REPLIES = {
  /** The same text the listener uses without the plugin (appliance/smtp/replies.ts). */
  relayDenied: () => reject('Relay access denied', { code: 554, enhanced: '5.7.1' }),
  refused: () => reject('Access denied by relay rules', { code: 550, enhanced: '5.7.1' }),
  senderUnknown: (s: string) => reject(`<${s}>: Sender address rejected: no such account in a local domain`, { code: 550, enhanced: '5.7.1' }),
  senderNotListed: (s: string) => reject(`<${s}>: Sender address rejected: local senders must use an allowed network`, { code: 550, enhanced: '5.7.1' }),
  /** RFC 4954 §6: 530 5.7.0 Authentication required. */
  authRequired: () => reject('Authentication required', { code: 530, enhanced: '5.7.0' }),
  /** Postfix's reject_sender_login_mismatch answer. */
  senderNotOwned: (s: string, user: string) => reject(`<${s}>: Sender address rejected: not owned by user ${user}`, { code: 553, enhanced: '5.7.1' }),
  headerNotOwned: (user: string) => reject(`From: header does not match the authenticated user ${user}`, { code: 550, enhanced: '5.7.1' }),
  recipientNotAllowed: (r: string) => reject(`<${r}>: Recipient address rejected: not allowed for this sender`, { code: 550, enhanced: '5.7.1' }),
  /** RFC 4954 §6: 454 4.7.0 Temporary authentication failure. */
  outsideHoursLogin: () => tempfail('Account not usable at this time, try again later', { code: 454, enhanced: '4.7.0' }),
  outsideHours: () => tempfail('Account not usable at this time, try again later', { code: 450, enhanced: '4.7.0' }),
} as const;

/** The reply for a refused recipient (RL matrices). */
export function refusalReply(reason: RelayRefusal, sender: string): Verdict | null {
  switch (reason) {
    case 'refused': return RELAY_REPLIES.refused();
    case 'relay-denied': return RELAY_REPLIES.relayDenied();
    case 'sender-unknown': return RELAY_REPLIES.senderUnknown(sender);
    case 'sender-not-listed': return RELAY_REPLIES.senderNotListed(sender);
    case 'no-such-user': return null; // the listener answers 550 5.1.1 itself
  }
}
