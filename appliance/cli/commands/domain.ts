/**
 * mailserver domain add DOMAIN [--account-limit N] [--admin ADDR] [--copy-errors-to-admin]
 * mailserver domain delete DOMAIN [--force]
 * mailserver domain list [DOMAIN]
 *
 * DO-1: hosted domains, their account limit (0 = none), admin address and "copy error mail to
 * the admin" switch.
 */
import { UsageError } from '../../../core/errors.ts';
import { defineGroup, flag, str } from '../command.ts';
import { formatTable } from '../io.ts';
import { parseAddress, parseCount, withStore } from '../values.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;

export default defineGroup('domain', 'hosted domains (DO-1)', {
  add: {
    usage: 'domain add DOMAIN [--account-limit N] [--admin ADDR] [--copy-errors-to-admin]',
    summary: 'adds a hosted domain',
    optionHelp: [
      ['--account-limit N', 'at most N accounts in the domain (default 0 = no limit)'],
      ['--admin ADDR', 'the admin address (default Administrator@DOMAIN)'],
      ['--copy-errors-to-admin', 'send a copy of error mail (bounces) to the admin'],
    ],
    options: { 'account-limit': { type: 'string' }, admin: { type: 'string' }, 'copy-errors-to-admin': { type: 'boolean' } },
    positionals: [1, 1],
    async run({ values, positionals, ctx, dataDir }) {
      const limitText = str(values, 'account-limit');
      const accountLimit = limitText === undefined ? undefined : parseCount(limitText, '--account-limit');
      const adminText = str(values, 'admin');
      const admin = adminText === undefined ? undefined : parseAddress(adminText).address;
      const domain = await withStore(dataDir, 'create', (s) =>
        s.domains.create({ name: positionals[0], accountLimit, admin, copyErrorsToAdmin: flag(values, 'copy-errors-to-admin') }),
      );
      ctx.io.out(`added domain ${domain.name}`);
    },
  },

  delete: {
    usage: 'domain delete DOMAIN [--force]',
    summary: 'deletes a domain; with accounts or aliases only with --force, which deletes them too',
    optionHelp: [['--force', 'also delete the accounts (with their mail) and the aliases of the domain']],
    options: { force: { type: 'boolean' } },
    positionals: [1, 1],
    async run({ values, positionals, ctx, dataDir }) {
      const result = await withStore(dataDir, 'existing', async (s) => {
        const domain = await s.domains.get(positionals[0]);
        if (!domain) throw new UsageError(`no domain ${positionals[0]}`);
        const accounts = (await s.accounts.list(domain.name)).length;
        const aliases = await s.aliases.list(domain.name);
        if ((accounts || aliases.length) && !flag(values, 'force')) {
          throw new UsageError(
            `domain ${domain.name} still has ${plural(accounts, 'account')} and ${plural(aliases.length, 'alias')}; ` +
              'delete them first, or add --force to delete them with the domain',
          );
        }
        for (const a of aliases) await s.aliases.delete(a.alias);
        // accounts, their mailboxes and messages go with the domain (ON DELETE CASCADE)
        await s.domains.delete(domain.name);
        const inbound = (await s.aliases.list()).filter((a) => a.target.endsWith(`@${domain.name}`)).map((a) => a.alias);
        return { name: domain.name, accounts, aliases: aliases.length, inbound };
      });
      const extra = result.accounts || result.aliases ? ` (and ${plural(result.accounts, 'account')}, ${plural(result.aliases, 'alias')})` : '';
      ctx.io.out(`deleted domain ${result.name}${extra}`);
      if (result.inbound.length) ctx.io.err(`warning: aliases of other domains still point into ${result.name}: ${result.inbound.join(', ')}`);
    },
  },

  list: {
    usage: 'domain list [DOMAIN]',
    summary: 'lists the hosted domains (or one) with their settings and number of accounts',
    positionals: [0, 1],
    async run({ positionals, ctx, dataDir }) {
      const rows = await withStore(dataDir, 'existing', async (s) => {
        const domains = positionals[0] ? [await s.domains.get(positionals[0])] : await s.domains.list();
        if (domains[0] === null) throw new UsageError(`no domain ${positionals[0]}`);
        const out: string[][] = [];
        for (const d of domains) {
          if (!d) continue;
          const count = (await s.accounts.list(d.name)).length;
          out.push([d.name, String(count), d.accountLimit ? String(d.accountLimit) : 'none', d.admin, d.copyErrorsToAdmin ? 'yes' : 'no']);
        }
        return out;
      });
      if (rows.length === 0) return void ctx.io.out('no domains (add one with: mailserver domain add DOMAIN)');
      for (const line of formatTable(['DOMAIN', 'ACCOUNTS', 'LIMIT', 'ADMIN', 'COPY ERRORS TO ADMIN'], rows)) ctx.io.out(line);
    },
  },
});
