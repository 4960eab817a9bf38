/**
 * The first rule of a table that matches a message (policies/mail-dat.ts firstMatch), with the
 * decoding and matching on a work thread (match-task.ts) and the RBL: lookups here.
 */
import type { WorkPort } from '../../core/work.ts';
import type { FilterRule } from '../../policies/mail-dat.ts';
import type { DecodeNeeds } from '../../policies/mail-dat-decode.ts';
import { MATCH_TASK, type MatchInput, type MatchOutput } from './match-task.ts';

export async function firstMatchOffLoop(
  work: WorkPort, rules: FilterRule[], needs: DecodeNeeds, message: Buffer,
  listed: (zone: string, domains: string[]) => Promise<boolean>, signal?: AbortSignal,
): Promise<FilterRule | null> {
  // a copy of exactly the message, moved to the thread (the caller keeps its own bytes)
  const bytes = new Uint8Array(message);
  const input: MatchInput = { message: bytes, rules, needs };
  const { candidates, uriDomains } = await work.run<MatchOutput>(MATCH_TASK, input, { transfer: [bytes.buffer as ArrayBuffer], signal });
  for (const i of candidates) {
    const rule = rules[i];
    if (rule.rbl && !(uriDomains.length && (await listed(rule.rbl, uriDomains)))) continue;
    return rule;
  }
  return null;
}
