/**
 * antivirus: every received message is scanned by clamd (AV-1 … AV-3) through the clamscan
 * package. Hook `data_post` (priority 10, before mailfilter): a find refuses the message with
 * 554 5.7.1 naming the signature, optionally keeps a copy in viruslog and sends notifications;
 * a clean message gets `X-Virus-Scanned`; when clamd is down or slow the message is refused with
 * 451 (default) or accepted with `X-Virus-Status: Unscanned`. Exempt IPs are not scanned.
 * Signature updates are ClamAV's own freshclam (README, "Antivirus").
 */
import { wholeMessage } from '../../core/store/content.ts';
import { definePlugin } from '../../core/plugin.ts';
import { ipMatcher } from '../shared/ip-matcher.ts';
import { folderPath, saveCopy } from '../shared/folder-copy.ts';
import { AntivirusOptions } from './options.ts';
import { ClamdScanner } from './scanner.ts';
import { sendNotification } from './notify.ts';
import { AV_REPLIES as R } from './replies.ts';
import { PRIORITY } from '../../core/hooks.ts';

export default definePlugin({
  name: 'antivirus',
  options: AntivirusOptions,
  setup(api) {
    const o = api.options;
    const scanner = new ClamdScanner({ ...o.clamd, timeoutMs: o.timeoutMs });
    const exempt = ipMatcher(o.exemptIps);
    const logDir = folderPath(api.dataDir, o.viruslogFolder);
    const pending = new Set<Promise<unknown>>();
    api.onClose(async () => void (await Promise.allSettled([...pending])));
    api.log.info({ clamd: o.clamd.socket ?? `${o.clamd.host}:${o.clamd.port}`, onError: o.onError }, 'antivirus loaded');

    api.hook('data_post', async ({ conn, tx }, signal) => {
      if (!(tx.message || tx.content) || exempt(conn.remoteAddress)) return;
      let result;
      try {
        // a spooled message is streamed to clamd from its spool file
        result = await scanner.scan(tx.message ?? tx.content!);
      } catch (err) {
        if (signal.aborted) return;
        conn.log.error({ err: (err as Error).message }, 'virus scan failed');
        if (o.onError === 'tempfail') return R.scannerDown();
        tx.addedHeaders.push({ name: 'X-Virus-Status', value: `Unscanned (scanner unavailable) by ${api.settings.hostname}` });
        return;
      }
      // past hookTimeoutMs the session has answered 451 and moved on: leave the transaction alone
      if (signal.aborted) return;
      if (!result.infected) {
        if (o.addHeader) tx.addedHeaders.push({ name: 'X-Virus-Scanned', value: `ClamAV on ${api.settings.hostname}` });
        return;
      }
      conn.log.warn({ viruses: result.viruses, from: tx.mailFrom.address, rcpt: tx.rcptTo.map((r) => r.address) }, 'virus found, message refused');
      // a config check keeps no copy and notifies nobody: it refuses, as the policy says, and that is all
      const message = (await wholeMessage(tx))!;
      if (o.viruslog && api.mode === 'serve') await saveCopy(logDir, tx.id, message);
      if (o.notify?.enabled && api.mode === 'serve') {
        const detection = {
          viruses: result.viruses, sender: tx.mailFrom.address, rcpts: tx.rcptTo.map((r) => r.address),
          clientIp: conn.remoteAddress, message, queueId: tx.id,
        };
        const sending = sendNotification(o.notify, api.submit, detection).then(
          (to) => to.length && api.log.info({ to, viruses: result.viruses }, 'virus notification sent'),
          (err) => api.log.error({ err: (err as Error).message }, 'virus notification failed'),
        );
        // the store path commits before the reply; an SMTP server is not waited for
        if (o.notify.smtp) {
          pending.add(sending);
          void sending.finally(() => pending.delete(sending));
        } else await sending;
      }
      return R.virus(result.viruses);
    }, { priority: PRIORITY.virusScan });
  },
});
