/**
 * mailserver domain add DOMAIN [--account-limit N] [--admin ADDR] [--copy-errors-to-admin]
 * mailserver domain delete DOMAIN [--force]
 * mailserver domain list [DOMAIN]
 *
 * DO-1: hosted domains, their account limit (0 = none), admin address and "copy error mail to
 * the admin" switch.
 */
import { defineGroup, flag, str } from '../command.ts';
import { formatTable } from '../io.ts';
import { parseAddress, parseCount, withStore } from '../values.ts';
import { addDomain, deleteDomain, listDomains, plural } from '../../operations/domains.ts';

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
        addDomain(s, { name: positionals[0], accountLimit, admin, copyErrorsToAdmin: flag(values, 'copy-errors-to-admin') }),
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
      const result = await withStore(dataDir, 'existing', (s) => deleteDomain(s, positionals[0], flag(values, 'force')));
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
      const rows = (await withStore(dataDir, 'existing', (s) => listDomains(s, positionals[0])))
        .map((d) => [d.name, String(d.accounts), d.accountLimit ? String(d.accountLimit) : 'none', d.admin, d.copyErrorsToAdmin ? 'yes' : 'no']);
      if (rows.length === 0) return void ctx.io.out('no domains (add one with: mailserver domain add DOMAIN)');
      for (const line of formatTable(['DOMAIN', 'ACCOUNTS', 'LIMIT', 'ADMIN', 'COPY ERRORS TO ADMIN'], rows)) ctx.io.out(line);
    },
  },
});
