/**
 * relay-effect: SMTP policy of the seed's receive service — relay control with the seed's
 * effect.dat semantics (RL-1 … RL-7), AUTH security levels (RX-4), sender trust (RX-6) and
 * per-account limits (AC-4 usage hours, AC-5 allowed recipients).
 *
 * Hooks: `mail` (priority -100, before other plugins) refuses `false` sources, sessions that must authenticate, senders an
 * authenticated user does not own, accounts outside their hours; `rcpt` (priority 900, after
 * other policy plugins) gives the matrix verdict and accepts the relaying it allows; `data_post`
 * checks the From: header (RX-6 level 3); `auth` refuses logins outside an account's hours.
 */
import fs from 'node:fs';
import path from 'node:path';
import addressparser from 'nodemailer/lib/addressparser';
import { messageHeader } from '../../core/store/content.ts';
import { definePlugin } from '../../core/plugin.ts';
import { accept, next, type Verdict } from '../../core/verdict.ts';
import {
  compileRules, decideRecipient, decideSender, exemptFromAuth, type AddressClass, type EffectRule, type RelayPolicy,
} from '../../policies/effect-rules.ts';
import { parseEffectDat } from '../../policies/effect-dat.ts';
import { recipientAllowed, withinHours } from '../../policies/account-limits.ts';
import { RelayEffectOptions } from './options.ts';
import { LocalDirectory } from './directory.ts';
import { RELAY_REPLIES as R, refusalReply } from './replies.ts';
import { PRIORITY } from '../../core/hooks.ts';
import { isRelaying } from '../../core/session.ts';

declare module '../../core/session.ts' {
  interface SessionState {
    'relay-effect': { senderClass: AddressClass; senderAccount?: string };
  }
}

/** The From: header addresses of a message (RFC 5322 §3.6.2), lower-cased. */
function headerFrom(message: Buffer): string[] {
  const end = message.indexOf('\r\n\r\n');
  const head = message.subarray(0, end < 0 ? message.length : end).toString('latin1').replace(/\r\n[ \t]+/g, ' ');
  const line = head.split('\r\n').find((l) => /^from\s*:/i.test(l));
  if (!line) return [];
  const flat = (list: ReturnType<typeof addressparser>): string[] =>
    list.flatMap((a) => ('group' in a && a.group ? flat(a.group) : [a.address ?? '']));
  return flat(addressparser(line.slice(line.indexOf(':') + 1))).map((a) => a.toLowerCase()).filter(Boolean);
}

function loadRules(file: string | undefined, inline: EffectRule[], log: { warn: (o: object, m: string) => void }, baseDir: string): EffectRule[] {
  if (!file) return inline;
  if (inline.length) throw new Error('relay-effect: give either options.file or options.rules, not both');
  const full = path.resolve(baseDir, file);
  let parsed;
  try {
    parsed = parseEffectDat(fs.readFileSync(full, 'latin1'));
  } catch (err) {
    throw new Error(`relay-effect: ${full}: ${(err as Error).message}`);
  }
  for (const w of parsed.warnings) log.warn({ file: full }, w);
  return parsed.rules;
}

export default definePlugin({
  name: 'relay-effect',
  uses: ['accounts', 'domains', 'aliases', 'refusedIps'],
  options: RelayEffectOptions,
  setup(api) {
    const o = api.options;
    const rules = loadRules(o.file, o.rules, api.log, api.configDir);
    const compiled = compileRules(rules);
    for (const i of compiled.ignored) api.log.warn({ rule: rules[i] }, 'relay rule after "only" is ignored');
    const policy: RelayPolicy = { compiled, localSenderRelay: o.localSenderRelay };
    const dir = new LocalDirectory(api.stores);
    const limits = new Map(Object.entries(o.accounts).map(([k, v]) => [k.toLowerCase(), v]));
    api.log.info({ rules: compiled.rules.length, localSenderRelay: o.localSenderRelay, authLevel: o.authLevel, senderTrust: o.senderTrust }, 'relay rules loaded');

    api.hook('auth', async ({ conn, login }) => {
      const account = conn.user ? undefined : await dir.account(login);
      const address = conn.user?.address ?? (account ? `${account.name}@${account.domain}` : login);
      if (!withinHours(limits.get(address.toLowerCase())?.hours, new Date())) {
        conn.log.info({ user: address }, 'login outside the account\'s usage hours');
        return R.outsideHoursLogin();
      }
    });

    api.hook('mail', async ({ conn, tx, from }): Promise<Verdict> => {
      const sender = from.address;
      const { cls, account } = await dir.classify(sender);
      const senderAccount = account ? `${account.name}@${account.domain}` : undefined;
      tx.state['relay-effect'] = { senderClass: cls, senderAccount };
      const banned = decideSender(compiled, conn.remoteAddress, sender);
      // runtime additions (mail filter units digit, MF-2) refuse like a `false` rule
      if (!banned && (await api.stores.refusedIps?.has(conn.remoteAddress))) {
        conn.log.info({ ip: conn.remoteAddress, sender }, 'refused: IP added to the refused list at runtime');
        return R.refused();
      }
      if (banned) {
        conn.log.info({ rule: banned.rule, sender }, 'refused by relay rule');
        return R.refused();
      }
      if (!conn.user && !exemptFromAuth(compiled, conn.remoteAddress, sender)) {
        if (o.authLevel === 'required' || (o.authLevel === 'per-account' && account?.smtpAuth)) return R.authRequired();
      }
      if (conn.user && o.senderTrust !== 'auth-id' && sender.toLowerCase() !== conn.user.address.toLowerCase()) {
        return R.senderNotOwned(sender, conn.user.address);
      }
      const user = conn.user?.address ?? senderAccount;
      if (user && !withinHours(limits.get(user.toLowerCase())?.hours, new Date())) return R.outsideHours();
      return next();
    }, { priority: PRIORITY.policy });

    api.hook('rcpt', async ({ conn, tx, rcpt }): Promise<Verdict> => {
      const st = tx.state['relay-effect'] ?? { senderClass: (await dir.classify(tx.mailFrom.address)).cls };
      const { cls } = await dir.classify(rcpt.address);
      // a hosted-domain address without an account may still be an alias target or catch-all:
      // the listener resolves it and answers 550 5.1.1 when it is nobody
      const recipientClass: AddressClass = cls === 'external' ? 'external' : 'local';
      const user = conn.user?.address ?? st.senderAccount;
      if (user && !recipientAllowed(limits.get(user.toLowerCase())?.allowedRecipients, rcpt.address)) {
        return R.recipientNotAllowed(rcpt.address);
      }
      const decision = decideRecipient(policy, {
        ip: conn.remoteAddress, sender: tx.mailFrom.address, senderClass: st.senderClass, recipientClass, authenticated: !!conn.user,
        // a Haraka plugin's connection.relaying (connection- or transaction-scoped, as in Haraka)
        // permits relaying unless one of our rules refuses this client explicitly (`false`,
        // `norelay*`); SMTP AUTH sets conn.relaying too, but those sessions are RL-7's
        relayGranted: !conn.user && isRelaying(conn, tx),
      });
      if (!decision.ok) {
        conn.log.info({ reason: decision.reason, rule: decision.rule?.rule, sender: tx.mailFrom.address, rcpt: rcpt.address }, 'recipient refused by relay rules');
        return refusalReply(decision.reason, tx.mailFrom.address) ?? next();
      }
      return decision.relay ? accept() : next();
    }, { priority: PRIORITY.relayDecision });

    api.hook('data_post', async ({ conn, tx }) => {
      if (!conn.user || o.senderTrust !== 'envelope-and-header') return;
      const header = await messageHeader(tx);
      if (!header) return;
      const from = headerFrom(header);
      if (from.length !== 1 || from[0] !== conn.user.address.toLowerCase()) return R.headerNotOwned(conn.user.address);
    });
  },
});
