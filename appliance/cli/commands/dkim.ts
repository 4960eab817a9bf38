/**
 * mailserver dkim keygen DOMAIN [--selector S] [--bits N] [--force]
 * mailserver dkim show DOMAIN [--selector S]
 *
 * DKIM keys of the hosted domains (RFC 6376). keygen writes <data>/dkim/DOMAIN.SELECTOR.key and
 * prints the TXT record to publish at SELECTOR._domainkey.DOMAIN; from then on mail whose From:
 * is in DOMAIN leaves signed (delivery.dkim.selector must name the same selector).
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../../core/errors.ts';
import { defineGroup, flag, str } from '../command.ts';
import { generateKey, keyFile, publicKeyRecord, txtRecordLine } from '../../delivery/dkim.ts';

const SELECTOR = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;
const DOMAIN = /^[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z0-9-]+$/;

function args(domainText: string, selectorText: string | undefined) {
  const domain = domainText.toLowerCase();
  const selector = selectorText ?? 'mail';
  if (!DOMAIN.test(domain)) throw new UsageError(`${JSON.stringify(domainText)} is not a domain name`);
  if (!SELECTOR.test(selector)) throw new UsageError(`bad selector ${JSON.stringify(selector)}: letters, digits, dots and dashes`);
  return { domain, selector };
}

const SELECTOR_HELP: [string, string] = ['--selector S', 'the selector (default mail, as delivery.dkim.selector)'];

export default defineGroup('dkim', 'DKIM signing keys of hosted domains', {
  keygen: {
    usage: 'dkim keygen DOMAIN [--selector S] [--bits N] [--force]',
    summary: 'makes a signing key for DOMAIN and prints the DNS TXT record to publish',
    optionHelp: [SELECTOR_HELP, ['--bits N', 'RSA key size (default 2048; 1024 only for DNS that cannot carry long TXT records)'], ['--force', 'replace an existing key']],
    options: { selector: { type: 'string' }, bits: { type: 'string' }, force: { type: 'boolean' } },
    positionals: [1, 1],
    async run({ values, positionals, ctx, dataDir }) {
      const { domain, selector } = args(positionals[0], str(values, 'selector'));
      const bits = Number(str(values, 'bits') ?? 2048);
      if (![1024, 2048, 3072, 4096].includes(bits)) throw new UsageError('--bits must be 1024, 2048, 3072 or 4096');
      const dir = path.join(dataDir, 'dkim');
      if (fs.existsSync(keyFile(dir, domain, selector)) && !flag(values, 'force')) {
        throw new UsageError(`${domain} already has a key for selector ${selector} (--force replaces it; mail signed with the old key then fails to verify)`);
      }
      const { file, record } = generateKey(dir, domain, selector, bits);
      ctx.io.err(`wrote ${file}; publish this record in the DNS of ${domain}:`);
      ctx.io.out(txtRecordLine(domain, selector, record));
    },
  },

  show: {
    usage: 'dkim show DOMAIN [--selector S]',
    summary: 'prints the DNS TXT record of the key of DOMAIN',
    optionHelp: [SELECTOR_HELP],
    options: { selector: { type: 'string' } },
    positionals: [1, 1],
    async run({ values, positionals, ctx, dataDir }) {
      const { domain, selector } = args(positionals[0], str(values, 'selector'));
      const file = keyFile(path.join(dataDir, 'dkim'), domain, selector);
      if (!fs.existsSync(file)) throw new UsageError(`no DKIM key for ${domain} (selector ${selector}); make one with mailserver dkim keygen ${domain}`);
      ctx.io.out(txtRecordLine(domain, selector, publicKeyRecord(fs.readFileSync(file, 'utf8'))));
    },
  },
});
