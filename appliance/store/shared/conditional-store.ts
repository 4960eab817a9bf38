/**
 * One message of a STORE, decided once for both stores (RFC 3501 §6.4.6, RFC 7162 §3.1.3
 * UNCHANGEDSINCE): refused when its mod-sequence is past UNCHANGEDSINCE, left alone when the
 * flags come out the same, else changed. The store gives the changed ones a new mod-sequence.
 */
import type { FlagMode } from '../../../core/store/ports.ts';
import { applyFlags, sameFlags } from './flags.ts';

export type FlagDecision =
  /** Changed since UNCHANGEDSINCE: listed in [MODIFIED], not touched. */
  | { kind: 'failed' }
  /**
   * The flags come out as they were: no write. `report`: an UNCHANGEDSINCE store still
   * reports the message with its flags and mod-sequence (RFC 7162 §3.1.3).
   */
  | { kind: 'same'; flags: string[]; report: boolean }
  | { kind: 'change'; flags: string[] };

export function decideFlagChange(current: string[], modseq: number, mode: FlagMode, flags: string[], unchangedSince?: number): FlagDecision {
  if (unchangedSince !== undefined && modseq > unchangedSince) return { kind: 'failed' };
  const next = applyFlags(current, mode, flags);
  if (sameFlags(current, next)) return { kind: 'same', flags: current, report: unchangedSince !== undefined };
  return { kind: 'change', flags: next };
}
