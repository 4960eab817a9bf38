/**
 * mailserver alias add ALIAS@DOMAIN REAL@DOMAIN[,0|,1]
 * mailserver alias delete ALIAS@DOMAIN
 * mailserver alias list [DOMAIN]
 *
 * AL-1: `*` may be the whole account part (`*@abc.test`); `,1` rewrites the envelope recipient to
 * the real address, `,0` keeps it, no suffix = keep within a domain, rewrite across domains.
 */
import { defineGroup } from '../command.ts';
import { formatTable } from '../io.ts';
import { withStore } from '../values.ts';
import { addAlias, aliasEnvelope, aliasTargetText, deleteAlias, listAliases } from '../../operations/aliases.ts';

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
      const { alias, warnings } = await withStore(dataDir, 'existing', (s) => addAlias(s, positionals[0], positionals[1]));
      ctx.io.out(`added alias ${alias.alias} -> ${aliasTargetText(alias)}`);
      for (const w of warnings) ctx.io.err(w);
    },
  },

  delete: {
    usage: 'alias delete ALIAS@DOMAIN',
    summary: 'deletes an alias',
    positionals: [1, 1],
    async run({ positionals, ctx, dataDir }) {
      const alias = await withStore(dataDir, 'existing', (s) => deleteAlias(s, positionals[0]));
      ctx.io.out(`deleted alias ${alias}`);
    },
  },

  list: {
    usage: 'alias list [DOMAIN]',
    summary: 'lists the aliases (of one domain) with where they go and what becomes of the envelope recipient',
    positionals: [0, 1],
    async run({ positionals, ctx, dataDir }) {
      const domain = positionals[0]?.toLowerCase();
      const aliases = await withStore(dataDir, 'existing', (s) => listAliases(s, domain));
      if (aliases.length === 0) return void ctx.io.out(domain ? `no aliases in ${domain}` : 'no aliases');
      const rows = aliases.map((a) => [a.alias, aliasTargetText(a), aliasEnvelope(a)]);
      for (const line of formatTable(['ALIAS', 'TARGET', 'ENVELOPE RECIPIENT'], rows)) ctx.io.out(line);
    },
  },
});
