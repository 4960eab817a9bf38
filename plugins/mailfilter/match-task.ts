/**
 * The mail filter's CPU-heavy part, run on a work thread (core/work.ts): decoding the message
 * (MIME, transfer encodings, charsets) and matching the rules' header and body conditions. A
 * huge or hostile body then costs a thread, not the protocol loop. What needs DNS (a rule's
 * RBL: condition) stays with the caller: the task returns the rules whose local conditions
 * hold, in table order, up to the first without RBL (that one matches whatever the DNS says).
 */
import type { FilterRule } from '../../policies/mail-dat.ts';
import { matchesLocally } from '../../policies/mail-dat.ts';
import { decodeMessage, type DecodeNeeds } from '../../policies/mail-dat-decode.ts';

export const MATCH_TASK = { module: import.meta.url, name: 'matchLocally' } as const;

export interface MatchInput {
  /** The whole message (moved to the thread, not copied). */
  message: Uint8Array;
  rules: FilterRule[];
  needs: DecodeNeeds;
}

export interface MatchOutput {
  /** Indexes into `rules` of the candidates, in order. */
  candidates: number[];
  /** The body's URI domains, when a candidate has an RBL: condition. */
  uriDomains: string[];
}

export async function matchLocally(input: MatchInput): Promise<MatchOutput> {
  const message = Buffer.from(input.message.buffer, input.message.byteOffset, input.message.byteLength);
  const decoded = await decodeMessage(message, input.needs);
  const candidates: number[] = [];
  for (const [i, rule] of input.rules.entries()) {
    if (!matchesLocally(rule, decoded)) continue;
    candidates.push(i);
    if (!rule.rbl) break;
  }
  const rbl = candidates.some((i) => input.rules[i].rbl);
  return { candidates, uriDomains: rbl ? decoded.uriDomains : [] };
}
