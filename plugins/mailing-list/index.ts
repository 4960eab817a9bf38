/**
 * mailing-list (ML-1 … ML-5): lists defined in the config, members in the store. The rcpt hook
 * claims `<list>@<domain>` and `<list>-request@<domain>` (Recipient.handledBy), refusing posts
 * that need SMTP AUTH (post password) without it; in the `queue` hook a post's copies for the
 * members (and a -request mail's answers) go to tx.outbound, which the listener commits with
 * the message before the 250, so an acknowledged post is never lost.
 */
import { wholeMessage } from '../../core/store/content.ts';
import { definePlugin } from '../../core/plugin.ts';
import { failedSenderAuthentication, type Connection, type Recipient, type Transaction } from '../../core/session.ts';
import type { Verdict } from '../../core/verdict.ts';
import type { Logger } from '../../core/log.ts';
import type { ListMember, ListStore, OutboundItem } from '../../core/store/ports.ts';
import { OptionsSchema } from './options.ts';
import { defineLists, lookup, lookupBounce, type ListAt } from './lists.ts';
import { takeBounce } from './bounces.ts';
import { isAutomatic, post, whyNotPoster } from './post.ts';
import { runCommands } from './commands.ts';
import { composeNotice } from './compose.ts';
import { TEXT } from './replies.ts';
import { header } from './headers.ts';
import { ONE_CLICK_PREFIX, oneClickHandler } from './one-click.ts';
import { UnsubscribeTokens } from './unsubscribe-token.ts';

declare module '../../core/session.ts' {
  interface SessionState {
    /** The lists this transaction addresses (and whether as -request), in RCPT order. */
    'mailing-list-tx': { targets: { list: ListAt; request: boolean }[]; bounces?: { list: ListAt; member: string }[] };
  }
}

export default definePlugin({
  name: 'mailing-list',
  uses: ['lists', 'domains'],
  options: OptionsSchema,
  async setup(api) {
    const defs = defineLists(api.options.lists);
    const store: ListStore | undefined = api.stores.lists;
    if (!store) throw new Error('mailing-list: this store has no list tables');
    const hosted = async (d: string) => !!(await api.stores.domains.get(d));
    const hostname = api.settings.hostname;
    await store.setPostPasswords(Object.fromEntries(defs.map((d) => [d.key, d.postPassword])));

    // RFC 8058 one-click unsubscribe: links in per-member copies, answered on the HTTP listener
    const tokens = new UnsubscribeTokens(api.dataDir);
    if (api.http) {
      const off = api.http.route(ONE_CLICK_PREFIX, oneClickHandler({
        store, defs, tokens, log: api.log, hostname, submit: api.submit,
      }));
      api.onClose(off);
    }
    let warnedPlain = false;
    const oneClickUrl = (list: ListAt, member: ListMember): string | undefined => {
      if (!list.def.oneClickUnsubscribe || member.id === undefined) return undefined;
      const base = api.http?.publicUrl();
      if (!base) return undefined;
      // RFC 8058 §3.1: the one-click URI is HTTPS
      if (!base.startsWith('https://')) {
        if (!warnedPlain) api.log.warn({ base }, 'one-click unsubscribe needs an HTTPS base URL (http.publicUrl or an HTTPS listener): copies get mailto: only');
        warnedPlain = true;
        return undefined;
      }
      return `${base}${ONE_CLICK_PREFIX}${tokens.issue({ list: list.def.key, domain: list.domain, member: member.address, subscription: member.id })}`;
    };

    /** An address of a list (post, -request, bounce): taken (rcpt.handledBy), refused, or not ours. */
    const claim = async (conn: Connection | undefined, tx: Transaction, rcpt: Recipient): Promise<Verdict | void> => {
      const bounce = await lookupBounce(defs, rcpt.address, hosted);
      if (bounce) {
        rcpt.handledBy = 'mailing-list';
        ((tx.state['mailing-list-tx'] ??= { targets: [] }).bounces ??= []).push(bounce);
        return;
      }
      const found = await lookup(defs, rcpt.address, hosted);
      if (!found) return;
      const def = found.list.def;
      if (!found.request && def.postPassword) {
        const own = conn?.listPoster === def.key || !!conn?.user;
        if (!own) return { kind: 'reject', permanent: true, code: 530, enhanced: '5.7.0', message: `<${rcpt.address}>: ${TEXT.authNeeded(def.local)}` };
      }
      if (!found.request && !def.refusalNotice) {
        // refused in the session: the sending server tells its user, nothing is mailed to a sender that may be forged
        const why = await whyNotPoster(store, def, conn, tx.mailFrom.address);
        if (why) return { kind: 'reject', permanent: true, code: 550, enhanced: '5.7.1', message: `<${rcpt.address}>: ${why}` };
      }
      rcpt.handledBy = 'mailing-list';
      const state = (tx.state['mailing-list-tx'] ??= { targets: [] });
      if (!state.targets.some((t) => t.list.def.key === def.key && t.request === found.request)) state.targets.push(found);
    };

    /** What the taken addresses mean: posts distributed, commands answered, bounces counted — into tx.outbound. */
    const distribute = async (conn: Connection | undefined, tx: Transaction, log: Logger): Promise<void> => {
      const queueId = tx.id;
      const targets = tx.state['mailing-list-tx']?.targets ?? [];
      const bounces = tx.state['mailing-list-tx']?.bounces ?? [];
      if (!targets.length && !bounces.length) return;
      // a post is rewritten per list (subject tag, footer): a spooled one is loaded (bounded by smtp.maxMessageSize)
      const message = await wholeMessage(tx);
      if (!message) return;
      const out: OutboundItem[] = [];
      for (const { list, member } of bounces) {
        try {
          // only reports count (null sender, RFC 5321 §4.5.5); anything else to a VERP address is dropped
          if (tx.mailFrom.address) {
            log.info({ list: list.def.key, member, queueId }, 'mail to a list bounce address not from <>: dropped');
            continue;
          }
          const r = await takeBounce(store, list, member, message, hostname);
          out.push(...r.outbound);
          log.info({ list: list.def.key, member, bounces: r.count, disabled: r.disabled, queueId }, 'list member bounce');
        } catch (err) {
          log.error({ err, list: list.def.key, queueId }, 'list bounce processing failed');
        }
      }
      for (const { list, request } of targets) {
        try {
          if (request) {
            const auto = isAutomatic(tx, message) ?? failedSenderAuthentication(tx) ?? (header(message, 'List-Id') ? 'list traffic' : null);
            if (auto) {
              log.info({ list: list.def.key, why: auto, queueId }, 'list command mail ignored');
              continue;
            }
            out.push(...(await runCommands(store, defs, list, tx, message, hostname)));
            continue;
          }
          const r = await post(store, list, conn, tx, message, oneClickUrl);
          if (r.kind === 'posted') {
            out.push(...r.outbound);
            log.info({ list: list.def.key, n: r.n, parts: r.outbound.length, queueId }, 'list post distributed');
          } else {
            log.info({ list: list.def.key, why: r.why, queueId }, `list post ${r.kind}`);
            const forged = r.kind === 'refused' && failedSenderAuthentication(tx);
            if (forged) log.info({ list: list.def.key, why: forged, queueId }, 'no refusal notice: the sender is likely forged');
            else if (r.kind === 'refused' && !list.def.noAnswer) {
              const to = tx.mailFrom.address;
              out.push({ mailFrom: '', recipients: [to], content: await composeNotice({
                from: list.request, to, subject: TEXT.refusedSubject(list.def.local), text: TEXT.refused(list.def.local, r.why),
                inReplyTo: header(message, 'Message-ID'),
              }, hostname) });
            }
          }
        } catch (err) {
          log.error({ err, list: list.def.key, queueId }, 'mailing list processing failed');
        }
      }
      // committed with the post itself: a 250 means the copies are queued too
      (tx.outbound ??= []).push(...out);
    };

    api.hook('rcpt', ({ conn, tx, rcpt }) => claim(conn, tx, rcpt));
    api.hook('queue', ({ conn, tx }) => distribute(conn, tx, conn.log));
    // mail the queue brings to a list address (a forward, our own reports to a bounce address)
    api.hook('queued_local', async ({ tx, rcpt, log }) => {
      const verdict = await claim(undefined, tx, rcpt);
      if (verdict || !rcpt.handledBy) return;
      tx.rcptTo.push(rcpt);
      await distribute(undefined, tx, log);
    });
  },
});
