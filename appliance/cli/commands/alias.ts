/**
 * mailserver alias add ALIAS@DOMAIN REAL@DOMAIN[,0|,1]
 * mailserver alias delete ALIAS@DOMAIN
 * mailserver alias list [DOMAIN]
 *
 * AL-1: `*` may be the whole account part (`*@abc.test`); `,1` rewrites the envelope recipient to
 * the real address, `,0` keeps it, no suffix = keep within a domain, rewrite across domains.
 */
import { UsageError } from '../../../core/errors.ts';
import type { Alias } from '../../../core/store/ports.ts';
import { defineGroup } from '../command.ts';
import { formatTable } from '../io.ts';
import { parseAddress, withStore } from '../values.ts';

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1);

/** The target as the seed writes it: `real@domain` plus `,1` / `,0` when given. */
function targetText(a: Alias): string {
  return a.rewrite === null ? a.target : `${a.target},${a.rewrite ? 1 : 0}`;
}

function envelope(a: Alias): string {
  if (a.rewrite !== null) return a.rewrite ? 'rewrite' : 'keep';
  return domainOf(a.alias) === domainOf(a.target) ? 'keep (same domain)' : 'rewrite (other domain)';
}

export default defineGroup('alias', 'aliases (AL-1)', {
  add: {
    usage: 'alias add ALIAS@DOMAIN REAL@DOMAIN[,0|,1]',
    summary: 'adds an alias; mail to ALIAS@DOMAIN goes to REAL@DOMAIN',
    notes: [
      'ALIAS may be *@DOMAIN (every address of the domain without an account of its own);',
      'REAL may be *@OTHER for a domain alias (x@DOMAIN -> x@OTHER), or an external address (forwarded).',
      ',1 rewrites the envelope recipient to REAL, ,0 keeps ALIAS; without it: kept when both are in',
      'the same domain, rewritten otherwise. DOMAIN must be a hosted domain.',
    ],
    positionals: [2, 2],
    async run({ positionals, ctx, dataDir }) {
      // loaded here: the policy module brings TypeBox, which list and delete do not need
      const { parseAliasRule } = await import('../../../policies/alias.ts');
      const rule = parseAliasRule(positionals[0], positionals[1]);
      const alias: Alias = { alias: rule.alias.toLowerCase(), target: rule.target.toLowerCase(), rewrite: rule.rewrite };
      const domain = domainOf(alias.alias);
      const warnings = await withStore(dataDir, 'existing', async (s) => {
        if (!(await s.domains.get(domain))) throw new UsageError(`no domain ${domain}: an alias needs a hosted domain (mailserver domain add ${domain})`);
        await s.aliases.add(alias);
        const notes: string[] = [];
        if (!alias.alias.startsWith('*@') && (await s.accounts.get(alias.alias))) {
          notes.push(`warning: ${alias.alias} is also an account; mail to it now goes to ${alias.target}`);
        }
        const target = parseAddress(alias.target);
        if (target.local !== '*' && (await s.domains.get(target.domain)) && !(await s.accounts.get(alias.target))) {
          const aliases = await s.aliases.list(target.domain);
          if (!aliases.some((a) => a.alias === alias.target)) notes.push(`warning: ${alias.target} has no account (yet)`);
        }
        return notes;
      });
      ctx.io.out(`added alias ${alias.alias} -> ${targetText(alias)}`);
      for (const w of warnings) ctx.io.err(w);
    },
  },

  delete: {
    usage: 'alias delete ALIAS@DOMAIN',
    summary: 'deletes an alias',
    positionals: [1, 1],
    async run({ positionals, ctx, dataDir }) {
      const alias = positionals[0].trim().toLowerCase();
      await withStore(dataDir, 'existing', (s) => s.aliases.delete(alias));
      ctx.io.out(`deleted alias ${alias}`);
    },
  },

  list: {
    usage: 'alias list [DOMAIN]',
    summary: 'lists the aliases (of one domain) with where they go and what becomes of the envelope recipient',
    positionals: [0, 1],
    async run({ positionals, ctx, dataDir }) {
      const domain = positionals[0]?.toLowerCase();
      const aliases = await withStore(dataDir, 'existing', async (s) => {
        if (domain !== undefined && !(await s.domains.get(domain))) throw new UsageError(`no domain ${domain}`);
        return s.aliases.list(domain);
      });
      if (aliases.length === 0) return void ctx.io.out(domain ? `no aliases in ${domain}` : 'no aliases');
      const rows = aliases.map((a) => [a.alias, targetText(a), envelope(a)]);
      for (const line of formatTable(['ALIAS', 'TARGET', 'ENVELOPE RECIPIENT'], rows)) ctx.io.out(line);
    },
  },
});
