/**
 * SRS for forwards that keep the original sender (envelopeFrom: 'sender'): the envelope sender
 * becomes SRS0=…@<the forwarding account's domain> when the forward leaves for another domain
 * and the sender's domain publishes SPF (mode 'spf', the default), or always; and bounces to
 * such an address are accepted at RCPT and sent on to the original sender (hash and age checked,
 * so the reverse path is no open relay).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Resolver } from 'node:dns/promises';
import type { PluginApi } from '../../core/plugin.ts';
import { isSrs, srsDecode, srsEncode } from '../../policies/srs.ts';
import type { AutoreplyOptions } from './options.ts';
import { PRIORITY } from '../../core/hooks.ts';

const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1).toLowerCase();

/** The configured secret, else one generated once into the data directory. */
function secretOf(api: PluginApi<AutoreplyOptions, 'domains'>): string {
  if (api.options.srs?.secret) return api.options.srs.secret;
  const file = path.join(api.dataDir, 'autoreply', 'srs-secret');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, crypto.randomBytes(24).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  return fs.readFileSync(file, 'utf8').trim();
}

export interface Srs {
  /** The envelope sender for a forward from `sender` by an account of `accountDomain` to `targets`. */
  rewrite(sender: string, accountDomain: string, targets: string[]): Promise<string>;
}

export function setupSrs(api: PluginApi<AutoreplyOptions, 'domains'>): Srs {
  const mode = api.options.srs?.mode ?? 'spf';
  if (mode === 'off') return { rewrite: async (s) => s };
  const secret = secretOf(api);
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  const servers = api.options.srs?.dnsServers ?? api.settings.dnsServers;
  if (servers?.length) resolver.setServers(servers);
  const hosted = async (domain: string) => !!(await api.stores.domains.get(domain));

  /** A lookup that fails (timeout, SERVFAIL) counts as SPF: rewriting is the safe side. */
  const publishesSpf = async (domain: string) => {
    try {
      return (await resolver.resolveTxt(domain)).some((r) => /^v=spf1(\s|$)/i.test(r.join('')));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return !(code === 'ENOTFOUND' || code === 'ENODATA');
    }
  };

  api.hook('rcpt', async ({ rcpt, conn }) => {
    if (!isSrs(rcpt.address) || !(await hosted(domainOf(rcpt.address)))) return;
    const original = srsDecode(rcpt.address, secret, { maxAgeDays: api.options.srs?.maxAgeDays ?? 21 });
    if (!original) return; // the listener refuses it as an unknown user
    conn.log.info({ srs: rcpt.address, to: original }, 'autoreply: SRS address, sent on to the original sender');
    rcpt.address = original;
    return { kind: 'accept' };
  }, { priority: PRIORITY.srs });

  return {
    async rewrite(sender, accountDomain, targets) {
      const domain = domainOf(sender);
      if (!sender || (await hosted(domain))) return sender;
      const leaves = (await Promise.all(targets.map(async (t) => !(await hosted(domainOf(t)))))).some(Boolean);
      if (!leaves) return sender;
      if (mode === 'spf' && !(await publishesSpf(domain))) return sender;
      return srsEncode(sender, accountDomain, secret);
    },
  };
}
