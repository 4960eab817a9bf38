/**
 * Alias operations (AL-1) on an opened store, shared by the CLI (`mailserver alias …`) and the
 * console: the checks and the store calls, no printing.
 */
import type { Alias, Stores } from '../../core/store/ports.ts';
import { UsageError } from '../../core/errors.ts';

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);

/** The target as the seed writes it: `real@domain` plus `,1` / `,0` when given. */
export function aliasTargetText(a: Alias): string {
  return a.rewrite === null ? a.target : `${a.target},${a.rewrite ? 1 : 0}`;
}

/** What becomes of the envelope recipient. */
export function aliasEnvelope(a: Alias): 'rewrite' | 'keep' | 'keep (same domain)' | 'rewrite (other domain)' {
  if (a.rewrite !== null) return a.rewrite ? 'rewrite' : 'keep';
  return domainOf(a.alias) === domainOf(a.target) ? 'keep (same domain)' : 'rewrite (other domain)';
}

/** Adds `alias` -> `target` (`REAL@DOMAIN[,0|,1]`); returns the alias and warnings for the operator. */
export async function addAlias(s: Stores, aliasText: string, targetText: string): Promise<{ alias: Alias; warnings: string[] }> {
  // loaded here: the policy module brings TypeBox, which list and delete do not need
  const { parseAliasRule } = await import('../../policies/alias.ts');
  const rule = parseAliasRule(aliasText, targetText);
  const alias: Alias = { alias: rule.alias.toLowerCase(), target: rule.target.toLowerCase(), rewrite: rule.rewrite };
  const domain = domainOf(alias.alias);
  if (!(await s.domains.get(domain))) throw new UsageError(`no domain ${domain}: an alias needs a hosted domain (mailserver domain add ${domain})`);
  await s.aliases.add(alias);
  const warnings: string[] = [];
  if (!alias.alias.startsWith('*@') && (await s.accounts.get(alias.alias))) {
    warnings.push(`warning: ${alias.alias} is also an account; mail to it now goes to ${alias.target}`);
  }
  const at = alias.target.lastIndexOf('@');
  const [tLocal, tDomain] = [alias.target.slice(0, at), alias.target.slice(at + 1)];
  if (tLocal !== '*' && (await s.domains.get(tDomain)) && !(await s.accounts.get(alias.target))) {
    const aliases = await s.aliases.list(tDomain);
    if (!aliases.some((a) => a.alias === alias.target)) warnings.push(`warning: ${alias.target} has no account (yet)`);
  }
  return { alias, warnings };
}

export async function deleteAlias(s: Stores, aliasText: string): Promise<string> {
  const alias = aliasText.trim().toLowerCase();
  await s.aliases.delete(alias);
  return alias;
}

export async function listAliases(s: Stores, domain?: string): Promise<Alias[]> {
  const d = domain?.toLowerCase();
  if (d !== undefined && !(await s.domains.get(d))) throw new UsageError(`no domain ${d}`);
  return s.aliases.list(d);
}

/** Points an existing alias elsewhere (the target is checked before anything changes). */
export async function changeAlias(s: Stores, aliasText: string, targetText: string): Promise<{ alias: Alias; warnings: string[] }> {
  const { parseAliasRule } = await import('../../policies/alias.ts');
  parseAliasRule(aliasText, targetText);
  const key = aliasText.trim().toLowerCase();
  const old = (await s.aliases.list()).find((a) => a.alias === key);
  if (!old) throw new UsageError(`no alias ${key}`);
  await s.aliases.delete(key);
  try {
    return await addAlias(s, key, targetText);
  } catch (err) {
    await s.aliases.add(old);
    throw err;
  }
}
