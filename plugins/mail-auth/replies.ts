/** Every reply mail-auth gives, by stable name (DESIGN.md convention 12). */
import { reject, tempfail } from '../../core/verdict.ts';

export const MAIL_AUTH_REPLIES = {
  /** RFC 7489 §6.3 p=reject of the author domain, with enforceDmarc on. */
  dmarcReject: (domain: string) => reject(`Message refused: DMARC policy of ${domain} (p=reject) failed`, { code: 550, enhanced: '5.7.1' }),
  /** The work threads' queue is full (node.threadQueue); RFC 3463 X.3.2: excessive load. */
  busy: () => tempfail('Server busy, please try again later', { code: 451, enhanced: '4.3.2' }),
  /** The verification ran past node.threadTimeoutMs on this message. */
  timedOut: () => tempfail('Message could not be verified in time, please try again later', { code: 451, enhanced: '4.3.0' }),
} as const;
