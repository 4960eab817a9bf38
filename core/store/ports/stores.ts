/** All store ports together: what an opened store (embedded or PostgreSQL) hands the appliance. */
import type { ChangeNotifier } from '../notifications.ts';
import type { AccountStore } from './accounts.ts';
import type { DomainStore } from './domains.ts';
import type { AliasStore } from './aliases.ts';
import type { MailStore } from './mail.ts';
import type { QueueStore } from './queue.ts';
import type { ListStore } from './lists.ts';
import type { FolderStore } from './folders.ts';
import type { AutoreplyStateStore } from './autoreply-state.ts';
import type { RefusedIpStore } from './refused-ips.ts';
import type { SessionLocks } from './session-locks.ts';

export interface Stores {
  accounts: AccountStore;
  domains: DomainStore;
  aliases: AliasStore;
  mail: MailStore;
  /** The outbound queue (delivery engine, TX-1 … TX-6). */
  queue: QueueStore;
  /** Mailing-list runtime data (members, counters, archive, keys); see plugins/mailing-list. */
  lists?: ListStore;
  /** Folder management and message changes for IMAP (RFC 3501). */
  folders: FolderStore;
  /** Change notifications (IMAP IDLE and unsolicited updates). */
  changes: ChangeNotifier;
  /** Runtime state of auto-replies (AR-1: replied addresses, "do not reply again", RFC 3834 period). */
  autoreply: AutoreplyStateStore;
  /** Client IPs refused at runtime (mail filter units digit, MF-2); relay-effect refuses them. */
  refusedIps?: RefusedIpStore;
  /** Locks across the nodes of a cluster (absent on the embedded store: one node, one process). */
  sessionLocks?: SessionLocks;
  close(): Promise<void>;
}
