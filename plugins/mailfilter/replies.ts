/** Every reply mailfilter gives, by stable name (DESIGN.md convention 12). */
import { reject } from '../../core/verdict.ts';

export const FILTER_REPLIES = {
  /** MF-1 hundreds digit 1. */
  refused: (rule: string) => reject(`Message refused by the mail filter (${rule})`, { code: 550, enhanced: '5.7.1' }),
} as const;
