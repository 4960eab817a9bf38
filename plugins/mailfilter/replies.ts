/** Every reply mailfilter gives, by stable name (DESIGN.md convention 12). */
import { reject, tempfail } from '../../core/verdict.ts';

export const FILTER_REPLIES = {
  /** MF-1 hundreds digit 1. */
  refused: (rule: string) => reject(`Message refused by the mail filter (${rule})`, { code: 550, enhanced: '5.7.1' }),
  /** The work threads' queue is full (node.threadQueue); RFC 3463 X.3.2: excessive load. */
  busy: () => tempfail('Server busy, please try again later', { code: 451, enhanced: '4.3.2' }),
  /** The filter ran past node.threadTimeoutMs on this message. */
  timedOut: () => tempfail('Message could not be checked in time, please try again later', { code: 451, enhanced: '4.3.0' }),
} as const;
