/**
 * autoreply (SPEC FW-1, FW-2, AR-1): per-account auto-forward and auto-reply, the seed's IMS.CTL.
 * Runs in the local_delivery hook for each local account a message is delivered to — mail
 * received over SMTP and mail the delivery engine brings to a local mailbox (forwards, replies):
 *   per-account filter (100) → forward (200) → auto-reply (300) → store.
 * Forwards and replies are outbound items committed with the delivery.
 *
 * keep: false ([Delivery] Discard=Yes) drops the mailbox copy, except for mail that a configured
 * forward did not send (sender not permitted, admin sender, loop): that mail stays, so nothing
 * is lost silently.
 */
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { definePlugin } from '../../core/plugin.ts';
import { failedSenderAuthentication } from '../../core/session.ts';
import { addressLines, resolveAccount, type ResolvedAccount } from '../../policies/ims-ctl.ts';
import { AutoreplyOptions } from './options.ts';
import { buildForward } from './forward.ts';
import { buildReply } from './reply.ts';
import { noForwardReason, noReplyReason } from './guards.ts';
import { splitMessage } from './message.ts';
import { setupSrs } from './srs.ts';
import { PRIORITY } from '../../core/hooks.ts';

const DAY_MS = 24 * 3600 * 1000;

export default definePlugin({
  name: 'autoreply',
  uses: ['accounts', 'domains', 'autoreply'],
  options: AutoreplyOptions,
  setup(api) {
    const accounts = new Map<string, ResolvedAccount & { targets: string[] }>();
    for (const [address, raw] of Object.entries(api.options.accounts)) {
      const settings = resolveAccount(raw);
      const targets = [...(settings.forward?.to ?? [])];
      if (settings.forward?.file) {
        const file = path.resolve(api.configDir, settings.forward.file);
        try {
          targets.push(...addressLines(fs.readFileSync(file, 'utf8')));
        } catch (err) {
          throw new Error(`autoreply: ${address}: cannot read forward list ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      }
      accounts.set(address.toLowerCase(), { ...settings, targets: [...new Set(targets.map((t) => t.toLowerCase()))] });
    }

    const srs = setupSrs(api);
    const lookup = async (accountId: number) => {
      const account = await api.stores.accounts.getById(accountId);
      if (!account) return null;
      const address = `${account.name}@${account.domain}`.toLowerCase();
      const settings = accounts.get(address);
      return settings ? { account, address, settings } : null;
    };

    api.hook('local_delivery', async ({ tx, accountId, plan, conn }) => {
      const found = await lookup(accountId);
      const forward = found?.settings.forward;
      if (!found || !forward) return;
      const { address, settings, account } = found;
      const log = conn?.log ?? api.log;
      const sender = tx.mailFrom.address;
      const domain = await api.stores.domains.get(account.domain);
      // the copy stays in the mailbox (keep untouched): see the header comment
      const hold = (reason: string) => void log.info({ account: address, sender, reason }, 'autoreply: not forwarded');
      const message = await plan.bytes();
      const reason = noForwardReason({ sender, admin: domain?.admin, account: address, content: message, head: splitMessage(message).head, permitFrom: forward.permitFrom });
      const targets = settings.targets.filter((t) => t !== address);
      if (reason || !targets.length) return hold(reason ?? 'no forward address');
      const ef = forward.envelopeFrom;
      // a bounce is forwarded as a bounce: its own failure must not make another one
      const mailFrom = sender === '' || ef === 'none' ? '' : ef === 'sender' ? await srs.rewrite(sender, account.domain, targets) : ef === 'admin' ? domain?.admin ?? '' : ef;
      plan.outbound.push({
        mailFrom,
        recipients: targets,
        content: buildForward(message, { account: address, stripAttachments: forward.stripAttachments, maxBodyBytes: forward.maxBodyBytes }),
      });
      log.info({ account: address, sender, to: targets, mailFrom }, 'autoreply: forwarded');
      if (!settings.keep) plan.keep = false;
    }, { priority: PRIORITY.forward });

    api.hook('local_delivery', async ({ tx, accountId, plan, conn }) => {
      const found = await lookup(accountId);
      if (!found) return;
      const { address, settings } = found;
      const log = conn?.log ?? api.log;
      if (!settings.forward && !settings.keep) plan.keep = false;
      const reply = settings.reply;
      if (!reply) return;
      const sender = tx.mailFrom.address;
      const message = await plan.bytes();
      const { head } = splitMessage(message);
      // RFC 3834 §2: no reply to a sender that is likely forged (backscatter)
      const reason = failedSenderAuthentication(tx) ?? noReplyReason({ sender, head, account: address, replyFrom: reply.from, noReply: reply.noReply });
      if (reason) return void log.info({ account: address, sender, reason }, 'autoreply: no reply');
      const claimed = await api.stores.autoreply.claimReply(accountId, sender, {
        now: new Date(), periodMs: reply.periodDays * DAY_MS, record: reply.recordReplies, neverAgain: reply.onceOnly,
      });
      if (!claimed) return void log.info({ account: address, sender }, 'autoreply: replied to this sender already');
      const originalText = reply.echo === 'without-headers' ? (await simpleParser(message)).text ?? '' : undefined;
      const content = buildReply({ settings: reply, account: address, to: sender, original: message, originalText, hostname: api.settings.hostname });
      // RFC 3834 §3.3: a reply is sent with the null sender, so that it never bounces back
      plan.outbound.push({ mailFrom: '', recipients: [sender], content });
      log.info({ account: address, to: sender }, 'autoreply: replied');
    }, { priority: PRIORITY.autoreply });
  },
});
