/**
 * Reads and writes the seed's `effect.dat` (RL-1 … RL-6): one rule a line, `<pattern>[ <action>]`,
 * separated by exactly one space (the seed refuses TAB), lines that are blank or start with `'`
 * are comments. Rules after an `only` rule are ignored by the seed; the reader drops them and
 * says so in `warnings`. Pure: the caller reads the file.
 */
import { EFFECT_ACTIONS, EffectRuleError, compileRules, type EffectAction, type EffectRule } from './effect-rules.ts';

export interface EffectDat {
  rules: EffectRule[];
  /** Lines that were read but have no effect (after `only`). */
  warnings: string[];
}

/** Parses effect.dat text; throws EffectRuleError naming the line for anything the seed would not read. */
export function parseEffectDat(text: string): EffectDat {
  const rules: EffectRule[] = [];
  const lines: number[] = [];
  for (const [i, raw] of text.replace(/^\uFEFF/, '').split(/\r?\n/).entries()) {
    const line = raw.replace(/[ \r]+$/, '');
    const where = `line ${i + 1}`;
    if (line.trim() === '' || line.startsWith("'")) continue;
    if (line.includes('\t')) throw new EffectRuleError(`${where}: TAB is not a separator in effect.dat, use one space ("${raw}")`);
    const fields = line.split(' ');
    if (fields.length > 2 || fields.some((f) => f === '')) {
      throw new EffectRuleError(`${where}: expected "<pattern>" or "<pattern> <action>" separated by one space ("${raw}")`);
    }
    const [match, actionText] = fields;
    const action = actionText?.toLowerCase();
    if (action !== undefined && !(EFFECT_ACTIONS as readonly string[]).includes(action)) {
      throw new EffectRuleError(`${where}: unknown action "${actionText}" (expected one of ${EFFECT_ACTIONS.join(', ')})`);
    }
    rules.push(action === undefined ? { match } : { match, action: action as EffectAction });
    lines.push(i + 1);
  }
  let compiled;
  try {
    compiled = compileRules(rules);
  } catch (err) {
    const m = /^rules\[(\d+)\]\.match: (.*)$/s.exec((err as Error).message);
    throw m ? new EffectRuleError(`line ${lines[Number(m[1])]}: ${m[2]}`) : err;
  }
  const warnings = compiled.ignored.map((i) => `line ${lines[i]}: ignored, "only" must be the last rule`);
  return { rules: rules.filter((_, i) => !compiled.ignored.includes(i)), warnings };
}

/** Writes rules back in the seed's syntax (an absent action stays absent). */
export function formatEffectDat(rules: readonly EffectRule[]): string {
  return rules.map((r) => (r.action ? `${r.match} ${r.action}` : r.match)).join('\r\n') + (rules.length ? '\r\n' : '');
}
