/**
 * AL-1: aliases. `alias@domain → real@domain[,1|,0]`, with `*` as the whole account part on
 * either side (seed manual, "エイリアス設定"):
 *
 *   info@abc.co.jp → abc-info@abc.co.jp        exact alias
 *   *@abc.co.jp    → abc-postmaster@abc.co.jp  catch-all of a domain
 *   *@def.co.jp    → *@abc.co.jp,1             domain alias: x@def.co.jp → x@abc.co.jp
 *
 * The suffix decides the envelope recipient after resolution: `,1` rewrites it to the real
 * address, `,0` keeps the alias; without a suffix the seed keeps it when both sides are in the
 * same domain and rewrites it when they are not. Pure: rules come from the config or the store.
 */
import { Type, type Static } from '@sinclair/typebox';
import { UsageError } from '../core/errors.ts';

/** One alias rule, as stored (core/store `Alias`) and as written in the config. */
export const AliasRuleSchema = Type.Object({
  /** `info@abc.co.jp` or `*@abc.co.jp`. */
  alias: Type.String({ minLength: 3 }),
  /** `real@abc.co.jp` or `*@def.co.jp` (a wildcard target keeps the account part). */
  target: Type.String({ minLength: 3 }),
  /** `,1` = true (rewrite the envelope recipient), `,0` = false (keep it), absent = null (by domain). */
  rewrite: Type.Union([Type.Boolean(), Type.Null()]),
});
export type AliasRule = Static<typeof AliasRuleSchema>;

export interface AliasResolution {
  /** Where the message goes. */
  address: string;
  /** The RCPT TO the message carries from here on (the alias kept, or the real address). */
  envelopeRecipient: string;
  rule: AliasRule;
}

export interface AliasExpansion {
  /** The final address: not itself an alias (or a mailbox of its own). */
  address: string;
  envelopeRecipient: string;
  /** The rules applied, in order; empty when the recipient is no alias. */
  rules: AliasRule[];
  /** Every address visited, starting with the recipient. */
  path: string[];
}

// RFC 5322 §3.2.3 atext, as a dot-atom; quoted local parts are not accepted in an alias table.
const LOCAL_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_RE = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/;

/** Splits at the last `@`: the local part may not contain one, but be safe with odd input. */
function splitAddress(address: string): { local: string; domain: string } | null {
  const at = address.lastIndexOf('@');
  if (at < 0) return null;
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}

/**
 * Parses the seed's target column: `real@dom`, `real@dom,1` or `real@dom,0`.
 * @throws UsageError for any other suffix (`,2`, `,yes`, a trailing comma).
 */
export function parseAliasTarget(text: string): { target: string; rewrite: boolean | null } {
  const trimmed = text.trim();
  const comma = trimmed.lastIndexOf(',');
  if (comma < 0) return { target: trimmed, rewrite: null };
  const suffix = trimmed.slice(comma + 1).trim();
  if (suffix !== '0' && suffix !== '1') {
    throw new UsageError(`alias target ${JSON.stringify(text)}: the option after "," must be 1 (rewrite the recipient) or 0 (keep it)`);
  }
  return { target: trimmed.slice(0, comma).trim(), rewrite: suffix === '1' };
}

/** Problems with one side of a rule; `*` is only valid as the whole account part (seed note). */
function sideProblems(side: 'alias' | 'target', address: string): string[] {
  const parts = splitAddress(address);
  if (!parts || parts.local === '' || parts.domain === '') {
    // The seed's EPSTRS refuses domain-less aliases as relaying; we refuse them up front.
    return [`${side} ${JSON.stringify(address)} must be account@domain (an alias needs a domain on both sides)`];
  }
  const problems: string[] = [];
  if (parts.local !== '*' && parts.local.includes('*')) {
    problems.push(`${side} ${JSON.stringify(address)}: "*" is only allowed as the whole account part ("*@domain")`);
  } else if (parts.local !== '*' && !LOCAL_RE.test(parts.local)) {
    problems.push(`${side} ${JSON.stringify(address)}: invalid account part`);
  }
  if (parts.domain.includes('*')) {
    problems.push(`${side} ${JSON.stringify(address)}: "*" applies to the account part only, not the domain`);
  } else if (!DOMAIN_RE.test(parts.domain)) {
    problems.push(`${side} ${JSON.stringify(address)}: invalid domain`);
  }
  return problems;
}

/**
 * Checks one alias → target pair (target without its `,N` suffix), AL-1:
 * both sides need a domain; `*` may only be the whole account part; a wildcard alias may map to
 * one address (a catch-all) or to another wildcard (a domain alias), but a single alias cannot
 * map to a wildcard (there is no account part to carry over); an address may not map to itself.
 * @throws UsageError listing every problem.
 */
export function validateAlias(alias: string, target: string): void {
  const problems = [...sideProblems('alias', alias), ...sideProblems('target', target)];
  if (problems.length === 0) {
    const a = splitAddress(alias)!;
    const t = splitAddress(target)!;
    if (a.local !== '*' && t.local === '*') {
      problems.push(`alias ${alias} → ${target}: a single address cannot map to a wildcard target`);
    }
    if (alias.toLowerCase() === target.toLowerCase()) problems.push(`alias ${alias} maps to itself`);
  }
  if (problems.length > 0) throw new UsageError(problems.join('; '));
}

/** Parses and validates one line of the seed's table: alias and `target[,N]` columns. */
export function parseAliasRule(alias: string, targetText: string): AliasRule {
  const { target, rewrite } = parseAliasTarget(targetText);
  validateAlias(alias.trim(), target);
  return { alias: alias.trim(), target, rewrite };
}

/** Applies one rule to `recipient`, which the rule is known to match. */
function apply(rule: AliasRule, recipient: { local: string; domain: string }, original: string): AliasResolution {
  const target = splitAddress(rule.target)!;
  // A wildcard target keeps the account part as the sender wrote it (x@def.co.jp → x@abc.co.jp).
  const address = target.local === '*' ? `${recipient.local}@${target.domain}` : rule.target;
  const aliasDomain = splitAddress(rule.alias)?.domain ?? '';
  const rewrite = rule.rewrite ?? aliasDomain.toLowerCase() !== target.domain.toLowerCase();
  return { address, envelopeRecipient: rewrite ? address : original, rule };
}

function lookup(rules: readonly AliasRule[], recipient: string, wildcards: boolean): AliasResolution | null {
  const parts = splitAddress(recipient);
  if (!parts || parts.local === '' || parts.domain === '') return null;
  // Local parts are compared case-insensitively too: the appliance stores accounts lower-cased,
  // and an alias that only matches one spelling would surprise every operator.
  const key = recipient.toLowerCase();
  const exact = rules.find((r) => r.alias.toLowerCase() === key);
  if (exact) return apply(exact, parts, recipient);
  if (!wildcards) return null;
  const wildcardKey = `*@${parts.domain.toLowerCase()}`;
  const wildcard = rules.find((r) => r.alias.toLowerCase() === wildcardKey);
  return wildcard ? apply(wildcard, parts, recipient) : null;
}

/**
 * One step of alias resolution (AL-1): the first rule whose alias equals the recipient
 * (case-insensitive), else the first `*@domain` rule of its domain; null when none matches.
 * envelopeRecipient follows the rule's rewrite flag, or by default is kept when alias and target
 * share a domain and rewritten when they do not.
 */
export function resolveAlias(rules: readonly AliasRule[], recipient: string): AliasResolution | null {
  return lookup(rules, recipient, true);
}

/**
 * Follows alias chains (a → b → c) until the address is no alias, at most `maxDepth` steps.
 *
 * `hasMailbox(address)` says whether an account exists for the address. An exact alias always
 * applies (it is what the operator wrote for that address), but a `*@domain` rule only catches
 * addresses that have no mailbox of their own: the seed's catch-all is for mail that would
 * otherwise be lost, and a domain alias (`*@def → *@abc`) must not swallow def's real accounts.
 * Pass `() => false` for Postfix-style catch-alls that capture every address of the domain.
 * External targets end the chain by themselves: no rule names an external domain. An address that
 * maps to itself ends the chain too (a fixpoint, as in Postfix), which is not a loop.
 *
 * The envelope recipient composes along the chain: a keeping step keeps whatever the previous
 * step left, a rewriting step sets it to its own result.
 *
 * @throws UsageError `alias loop: a -> b -> a`, or when the chain is longer than maxDepth.
 */
export function expandAliases(
  rules: readonly AliasRule[],
  recipient: string,
  hasMailbox: (address: string) => boolean,
  maxDepth = 10,
): AliasExpansion {
  const path = [recipient];
  const applied: AliasRule[] = [];
  let address = recipient;
  let envelopeRecipient = recipient;
  for (;;) {
    const step = lookup(rules, address, !hasMailbox(address));
    // A fixpoint ends the chain, it is no loop: with Postfix-style catch-alls the catch-all's own
    // target (abc-postmaster@abc.co.jp) matches `*@abc.co.jp` again and maps to itself.
    if (!step || step.address.toLowerCase() === address.toLowerCase()) {
      return { address, envelopeRecipient, rules: applied, path };
    }
    const seenAt = path.findIndex((p) => p.toLowerCase() === step.address.toLowerCase());
    path.push(step.address);
    if (seenAt >= 0) throw new UsageError(`alias loop: ${path.slice(seenAt).join(' -> ')}`);
    if (applied.length >= maxDepth) {
      throw new UsageError(`alias chain longer than ${maxDepth} steps: ${path.join(' -> ')}`);
    }
    applied.push(step.rule);
    // A keeping step hands back its own input; only a rewriting step changes the envelope.
    if (step.envelopeRecipient !== address) envelopeRecipient = step.envelopeRecipient;
    address = step.address;
  }
}
