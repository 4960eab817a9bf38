/**
 * mailfilter: the seed's mail.dat filter (MF-1 … MF-3) and per-account filter tables (AC-6).
 *
 * Hooks: `data_post` (priority 20, after antivirus) matches the global table against the decoded
 * message; the first matching rule acts: 1xx refuses (550 5.7.1); 2xx/3xx change the message bytes
 * (tx.message is replaced before the appliance assembles the stored copy, so every recipient,
 * local or remote, gets the changed message); 4xx adds a header (tx.addedHeaders); 5xx–7xx forward
 * a copy (in tx.outbound, committed with the message itself, before the 250); x1x keeps
 * a copy in the rule's folder on disk (default `<dataDir>/viruslog`); xx1 adds the client IP to the
 * store's refused IPs, which relay-effect refuses from then on.
 * `local_delivery` (priority 100) applies an account's own table to that account's copy: changes
 * go to plan.content, copies to plan.copies (a folder of the account's mailbox), forwards to
 * plan.outbound; 1xx cannot refuse an accepted message, so the account keeps no copy.
 */
import { wholeMessage } from '../../core/store/content.ts';
import { definePlugin } from '../../core/plugin.ts';
import { PRIORITY, type LocalDeliveryPlan } from '../../core/hooks.ts';
import { formatLevel, type FilterRule } from '../../policies/mail-dat.ts';
import { needsOf } from '../../policies/mail-dat-decode.ts';
import { WorkBusyError, WorkTimeoutError } from '../../core/work.ts';
import { firstMatchOffLoop } from './match.ts';
import { addHeader, headerOfTag, prependWarning, tagSubject } from '../../policies/mail-dat-edit.ts';
import { MailfilterOptions } from './options.ts';
import { loadTable } from './load.ts';
import { ipMatcher } from '../shared/ip-matcher.ts';
import { UriBlocklist } from './uribl.ts';
import { folderPath, mailboxFolder, saveCopy } from '../shared/folder-copy.ts';
import { FILTER_REPLIES as R } from './replies.ts';

declare module '../../core/session.ts' {
  interface SessionState {
    mailfilter: { rule: string; forward?: string };
  }
}

/** The bytes a rule's 2xx/3xx/4xx action makes of a message (all of them in the message itself). */
function changed(rule: FilterRule, content: Buffer): Buffer {
  const a = rule.level.action;
  if (a === 2) return prependWarning(content, rule.warning ?? []);
  if ((a === 3 || a === 6) && rule.tag) return tagSubject(content, rule.tag);
  if ((a === 4 || a === 7) && rule.tag) {
    const h = headerOfTag(rule.tag);
    return addHeader(content, h.name, h.value);
  }
  return content;
}

export default definePlugin({
  name: 'mailfilter',
  uses: ['accounts', 'refusedIps'],
  options: MailfilterOptions,
  setup(api) {
    const o = api.options;
    const global = loadTable({ rules: o.rules, file: o.file }, api.log, api.configDir);
    const tables = new Map(Object.entries(o.accounts).map(([addr, t]) => {
      const rules = loadTable(t, api.log, api.configDir);
      return [addr.toLowerCase(), { rules, needs: needsOf(rules) }];
    }));
    const globalNeeds = needsOf(global);
    const exempt = ipMatcher(o.exemptIps);
    const uribl = new UriBlocklist({ servers: o.dnsServers, timeoutMs: o.rblTimeoutMs });
    const listed = (zone: string, domains: string[]) => uribl.listed(zone, domains);
    const root = o.folderRoot ?? api.dataDir;
    api.log.info({ rules: global.length, accounts: tables.size, exemptIps: o.exemptIps.length }, 'mail filter loaded');

    const ban = async (ip: string | undefined, rule: FilterRule) => {
      if (!ip || !api.stores.refusedIps) return;
      if (await api.stores.refusedIps.add(ip, `mail filter rule "${rule.name}"`)) api.log.warn({ ip, rule: rule.name }, 'client IP added to the refused IPs');
    };

    if (global.length) {
      api.hook('data_post', async ({ conn, tx }, signal) => {
        if (!(tx.message || tx.content) || exempt(conn.remoteAddress)) return;
        // body rules need the whole message: a spooled one is loaded (bounded by smtp.maxMessageSize)
        const message = (await wholeMessage(tx))!;
        let rule: FilterRule | null;
        try {
          rule = await firstMatchOffLoop(api.work, global, globalNeeds, message, listed, signal);
        } catch (err) {
          const busy = workFailure(err);
          if (!busy) throw err;
          conn.log.warn({ err: (err as Error).message }, 'mail filter could not match the message');
          return busy;
        }
        if (!rule) return;
        conn.log.info({ rule: rule.name, level: formatLevel(rule.level) }, 'mail filter rule matched');
        // a config check writes no copies (its folders may be outside the check's scratch directory)
        if (rule.level.keepCopy && api.mode === 'serve') await saveCopy(folderPath(root, rule.folder), tx.id, message);
        if (rule.level.banIp) await ban(conn.remoteAddress, rule);
        const a = rule.level.action;
        if (a === 1) return R.refused(rule.name);
        if (a === 4 || a === 7) {
          if (rule.tag) tx.addedHeaders.push(headerOfTag(rule.tag));
        } else tx.message = changed(rule, message);
        tx.state.mailfilter = { rule: rule.name, forward: a >= 5 ? rule.forward : undefined };
      }, { priority: PRIORITY.contentFilter });

      // the forwarded copy is committed with the message (tx.outbound), before the 250
      api.hook('queue', ({ tx }) => {
        const st = tx.state.mailfilter;
        if (!st?.forward || !tx.message) return;
        let content = tx.message;
        for (const h of [...tx.addedHeaders].reverse()) content = addHeader(content, h.name, h.value);
        (tx.outbound ??= []).push({ mailFrom: tx.mailFrom.address, recipients: [st.forward], content });
      });
    }

    if (tables.size) {
      api.hook('local_delivery', async ({ conn, tx, accountId, plan }, signal) => {
        if (conn && exempt(conn.remoteAddress)) return;
        const account = await api.stores.accounts.getById(accountId);
        const table = account && tables.get(`${account.name}@${account.domain}`.toLowerCase());
        if (!table?.rules.length) return;
        let rule: FilterRule | null;
        try {
          rule = await firstMatchOffLoop(api.work, table.rules, table.needs, await plan.bytes(), listed, signal);
        } catch (err) {
          if (!workFailure(err)) throw err;
          // local_delivery cannot refuse an accepted message: this copy is stored unfiltered
          (conn?.log ?? api.log).warn({ account: `${account!.name}@${account!.domain}`, err: (err as Error).message }, 'account filter could not match the message; stored unfiltered');
          return;
        }
        if (!rule) return;
        (conn?.log ?? api.log).info({ account: `${account!.name}@${account!.domain}`, rule: rule.name, level: formatLevel(rule.level) }, 'account filter rule matched');
        applyToPlan(rule, plan, await plan.bytes(), tx.mailFrom.address);
        if (rule.level.banIp) await ban(conn?.remoteAddress, rule);
      }, { priority: PRIORITY.filter });
    }
  },
});

/** The temporary failure for a message the work threads could not take or finish, else null. */
function workFailure(err: unknown) {
  if (err instanceof WorkBusyError) return R.busy();
  if (err instanceof WorkTimeoutError) return R.timedOut();
  return null;
}

/** `content` is the plan's content, loaded (plan.bytes()). */
function applyToPlan(rule: FilterRule, plan: LocalDeliveryPlan, content: Buffer, mailFrom: string): void {
  if (rule.level.keepCopy) plan.copies.push({ folder: mailboxFolder(rule.folder), content });
  if (rule.level.action === 1) {
    plan.keep = false;
    return;
  }
  plan.content = changed(rule, content);
  if (rule.level.action >= 5 && rule.forward) plan.outbound.push({ mailFrom, recipients: [rule.forward], content: plan.content });
}
