/**
 * mailserver account add USER@DOMAIN --password PW [--name N] [--quota BYTES] [--auth-apop] [--no-pop3] [--no-imap]
 * mailserver account change USER@DOMAIN [--password PW] [--name N] [--quota BYTES] [--auth-apop|--no-auth-apop]
 *                                       [--no-pop3|--pop3] [--no-imap|--imap]
 * mailserver account delete USER@DOMAIN
 * mailserver account list [DOMAIN]
 * mailserver account import FILE.tsv [--update]
 * mailserver account export [FILE.tsv]
 *
 * AC-1..AC-3. Passwords are never printed; `--password -` reads one from stdin.
 */
import type { Account, AccountInput } from '../../../core/store/ports.ts';
import { accountFlags, addAccount, changeAccount, deleteAccount, listAccounts } from '../../operations/accounts.ts';
import { UsageError } from '../../../core/errors.ts';
import { ArgumentError, defineGroup, flag, str, toggle, type Values } from '../command.ts';
import { formatBytes, formatTable, readPassword, type Io } from '../io.ts';
import { checkText, parseAddress, parseNewAccount, parseQuota, withStore } from '../values.ts';
import { exportAccounts, importAccounts } from './account-file.ts';

const ADD_USAGE = 'account add USER@DOMAIN --password PW [--name "Full Name"] [--quota BYTES] [--auth-apop] [--no-pop3] [--no-imap]';
const PASSWORD_HELP: [string, string] = ['--password PW', 'the password; "-" reads it from stdin (keeps it out of shell history)'];
const QUOTA_HELP: [string, string] = ['--quota BYTES', 'mailbox size limit: bytes, or with K, M, G (1024-based), e.g. 50M; 0 = unlimited'];
const APOP_TEXT = 'the seed\'s "SMTP-AUTH & APOP" flag: must authenticate to send, may use APOP/CRAM-MD5';

async function passwordOption(values: Values, io: Io): Promise<string | undefined> {
  const pw = str(values, 'password');
  if (pw === undefined) return undefined;
  if (pw === '-') return readPassword(io);
  if (pw === '') throw new UsageError('the password may not be empty');
  return pw;
}

function flagsOf(a: Account): string {
  const flags = accountFlags(a);
  return flags.length ? flags.join(',') : '-';
}

const warnApopSecret = (io: Io, address: string) =>
  io.err(`warning: ${address} has APOP on, but APOP/CRAM-MD5 need the clear password, which is kept only when it is set: set it again with --password`);

export default defineGroup('account', 'user accounts (AC-1..AC-3)', {
  add: {
    usage: ADD_USAGE,
    summary: 'adds an account to a hosted domain',
    optionHelp: [
      PASSWORD_HELP,
      ['--name "Full Name"', 'the full name (any text, e.g. Japanese)'],
      QUOTA_HELP,
      ['--auth-apop', APOP_TEXT],
      ['--no-pop3', 'the account may not use POP3'],
      ['--no-imap', 'the account may not use IMAP4'],
    ],
    options: {
      password: { type: 'string' }, name: { type: 'string' }, quota: { type: 'string' },
      'auth-apop': { type: 'boolean' }, 'no-pop3': { type: 'boolean' }, 'no-imap': { type: 'boolean' },
    },
    positionals: [1, 1],
    async run({ values, positionals, ctx, dataDir }) {
      const { local, domain } = parseNewAccount(positionals[0]);
      const fullName = checkText(str(values, 'name') ?? '', 'the full name');
      const quotaText = str(values, 'quota');
      const quota = quotaText === undefined ? 0 : parseQuota(quotaText);
      if (str(values, 'password') === undefined) {
        throw new ArgumentError('account add needs --password PW (or --password - to read it from stdin)', ADD_USAGE);
      }
      const account = await withStore(dataDir, 'existing', async (s) => {
        if (!(await s.domains.get(domain))) throw new UsageError(`no domain ${domain}: add it first (mailserver domain add ${domain})`);
        if (await s.accounts.get(`${local}@${domain}`)) throw new UsageError(`account ${local}@${domain} already exists`);
        const password = (await passwordOption(values, ctx.io))!;
        return addAccount(s, {
          local, domain, password, fullName, quota, apop: flag(values, 'auth-apop'), pop3Disabled: flag(values, 'no-pop3'), imapDisabled: flag(values, 'no-imap'),
        });
      });
      ctx.io.out(`added account ${account.name}@${account.domain}`);
    },
  },

  change: {
    usage: 'account change USER@DOMAIN [--password PW] [--name N] [--quota BYTES] [--auth-apop|--no-auth-apop] [--no-pop3|--pop3] [--no-imap|--imap]',
    summary: 'changes an account; what is not given stays as it is',
    optionHelp: [
      PASSWORD_HELP,
      ['--name N', 'the full name ("" clears it)'],
      QUOTA_HELP,
      ['--auth-apop', APOP_TEXT],
      ['--no-auth-apop', 'clears that flag'],
      ['--no-pop3, --pop3', 'forbid / allow POP3'],
      ['--no-imap, --imap', 'forbid / allow IMAP4'],
    ],
    options: {
      password: { type: 'string' }, name: { type: 'string' }, quota: { type: 'string' },
      'auth-apop': { type: 'boolean' }, 'no-auth-apop': { type: 'boolean' },
      pop3: { type: 'boolean' }, 'no-pop3': { type: 'boolean' }, imap: { type: 'boolean' }, 'no-imap': { type: 'boolean' },
    },
    positionals: [1, 1],
    async run({ values, positionals, ctx, dataDir }) {
      const { address } = parseAddress(positionals[0]);
      const patch: Partial<AccountInput> = {};
      const changed: string[] = [];
      const name = str(values, 'name');
      if (name !== undefined) {
        patch.fullName = checkText(name, 'the full name');
        changed.push('full name');
      }
      const quotaText = str(values, 'quota');
      if (quotaText !== undefined) {
        patch.quota = parseQuota(quotaText);
        changed.push('quota');
      }
      const apop = toggle(values, 'auth-apop', 'no-auth-apop');
      if (apop !== undefined) {
        patch.smtpAuth = patch.apop = apop;
        changed.push(apop ? 'auth-apop on' : 'auth-apop off');
      }
      const pop3 = toggle(values, 'pop3', 'no-pop3');
      if (pop3 !== undefined) {
        patch.pop3Disabled = !pop3;
        changed.push(pop3 ? 'pop3 on' : 'pop3 off');
      }
      const imap = toggle(values, 'imap', 'no-imap');
      if (imap !== undefined) {
        patch.imapDisabled = !imap;
        changed.push(imap ? 'imap on' : 'imap off');
      }
      const wantsPassword = str(values, 'password') !== undefined;
      if (!wantsPassword && changed.length === 0) throw new UsageError('account change: nothing to change (see mailserver account change --help)');
      const account = await withStore(dataDir, 'existing', async (s) => {
        if (!(await s.accounts.get(address))) throw new UsageError(`no account ${address}`);
        if (wantsPassword) {
          patch.password = await passwordOption(values, ctx.io);
          changed.unshift('password');
        }
        const { account: updated, apopWithoutSecret } = await changeAccount(s, address, patch);
        if (apopWithoutSecret) warnApopSecret(ctx.io, address);
        return updated;
      });
      ctx.io.out(`changed account ${account.name}@${account.domain}: ${changed.join(', ')}`);
    },
  },

  delete: {
    usage: 'account delete USER@DOMAIN',
    summary: 'deletes an account and its mail',
    positionals: [1, 1],
    async run({ positionals, ctx, dataDir }) {
      const { address } = parseAddress(positionals[0]);
      const pointing = await withStore(dataDir, 'existing', (s) => deleteAccount(s, address));
      ctx.io.out(`deleted account ${address}`);
      if (pointing.length) ctx.io.err(`warning: aliases still point to ${address}: ${pointing.join(', ')}`);
    },
  },

  list: {
    usage: 'account list [DOMAIN]',
    summary: 'lists the accounts (of one domain): address, full name, quota and flags',
    positionals: [0, 1],
    async run({ positionals, ctx, dataDir }) {
      const domain = positionals[0];
      const accounts = await withStore(dataDir, 'existing', (s) => listAccounts(s, domain));
      if (accounts.length === 0) return void ctx.io.out(domain ? `no accounts in ${domain.toLowerCase()}` : 'no accounts');
      const rows = accounts.map((a) => [`${a.name}@${a.domain}`, a.fullName || '-', formatBytes(a.quota), flagsOf(a)]);
      for (const line of formatTable(['ADDRESS', 'FULL NAME', 'QUOTA', 'FLAGS'], rows)) ctx.io.out(line);
    },
  },

  import: {
    usage: 'account import FILE.tsv [--update]',
    summary: 'adds the accounts of a seed-format TSV file (AC-3); all or nothing',
    notes: [
      'FILE.tsv: account<TAB>password<TAB>full name<TAB>domain<TAB>home<TAB>smtp-auth 0/1<TAB>apop 0/1<TAB>mailbox limit (bytes)',
      'UTF-8 or Shift_JIS; the password is plain text or a $scrypt$ hash written by account export.',
      'Every line is checked first (format, domain hosted, account new); if any fails, nothing is imported.',
    ],
    optionHelp: [['--update', 'change accounts that already exist instead of refusing them']],
    options: { update: { type: 'boolean' } },
    positionals: [1, 1],
    async run({ values, positionals, ctx, dataDir }) {
      const result = await withStore(dataDir, 'existing', (s) => importAccounts(s, positionals[0], { update: flag(values, 'update') }));
      if (result.apopWithoutSecret.length) {
        ctx.io.err(`warning: ${result.apopWithoutSecret.length} account(s) with APOP on were imported with a hashed password; ` +
          `APOP/CRAM-MD5 work for them once the password is set again: ${result.apopWithoutSecret.join(', ')}`);
      }
      ctx.io.out(`imported ${positionals[0]}: ${result.added} added, ${result.updated} updated`);
    },
  },

  export: {
    usage: 'account export [FILE.tsv]',
    summary: 'writes every account as seed-format TSV (AC-3) to FILE.tsv, or to stdout',
    notes: [
      'The password column holds the stored $scrypt$ hash (account import accepts it as is), never a',
      'clear password. The format has no column for POP3/IMAP4 off or shared folders. FILE is created',
      'readable by its owner only.',
    ],
    positionals: [0, 1],
    async run({ positionals, ctx, dataDir }) {
      const file = positionals[0];
      const result = await withStore(dataDir, 'existing', (s) => exportAccounts(s, file, ctx.io));
      if (result.notCarried) {
        ctx.io.err(`note: ${result.notCarried} account(s) have POP3/IMAP4 off or a shared folder, which the TSV format does not carry`);
      }
      // with the TSV on stdout, the summary goes to stderr
      (file ? ctx.io.out : ctx.io.err)(`exported ${result.count} account(s)${file ? ` to ${file}` : ''}`);
    },
  },
});
