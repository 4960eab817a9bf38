/**
 * submit() (core/submit.ts) for one config generation: resolves every recipient as SMTP RCPT does
 * (appliance/recipients), then commits as SMTP DATA does (commit.ts). A hosted address that is no
 * account is queued: the queue's local hand-off gives it to the plugin that claims it (a list's
 * bounce address) or fails it with 5.1.1, as it does for mail that came in over SMTP.
 */
import type { AppConfig } from '../../core/config/schema.ts';
import type { HookRunner } from '../../core/hooks.ts';
import type { Logger } from '../../core/log.ts';
import { createTransaction, type Recipient } from '../../core/session.ts';
import type { Stores } from '../../core/store/ports.ts';
import type { Submit } from '../../core/submit.ts';
import type { DirectoryCache } from '../recipients/directory-cache.ts';
import { postmasterRouting, resolveRecipient } from '../recipients/resolve-recipient.ts';
import { commitMessage } from './commit.ts';

export interface SubmitDeps {
  config: AppConfig;
  /** The generation's hooks (local_delivery); undefined where no plugins run. */
  hooks: HookRunner | undefined;
  stores: Pick<Stores, 'mail'>;
  directory: DirectoryCache;
  log: Logger;
}

export function createSubmit(deps: SubmitDeps): Submit {
  return async ({ from, to, content, origin }) => {
    const keepLocal = !deps.config.delivery.forwardAllToGateway;
    const dir = await deps.directory.get();
    const rcptTo: Recipient[] = [];
    const remote: string[] = [];
    for (const address of to) {
      const where = keepLocal ? resolveRecipient(dir, address, postmasterRouting(deps.config)) : undefined;
      if (where?.kind === 'local') {
        if (!rcptTo.some((r) => r.accountId === where.account.id)) {
          rcptTo.push({ address, params: {}, local: true, accountId: where.account.id, deliveredTo: where.deliveredTo });
        }
      } else remote.push(where?.kind === 'remote' ? where.address : address);
    }
    const tx = createTransaction({ address: from, params: {} });
    tx.rcptTo.push(...rcptTo);
    await commitMessage(deps.hooks, deps.stores, { tx, content, remote, keepLocal });
    deps.log.info({ id: tx.id, origin, from, rcpt: to, local: rcptTo.length, queued: remote.length }, 'message submitted');
  };
}
