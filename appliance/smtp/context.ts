import type { AppConfig } from '../../core/config/schema.ts';
import type { HookRunner } from '../../core/hooks.ts';
import type { Logger } from '../../core/log.ts';
import type { Stores } from '../../core/store/ports.ts';
import type { TlsMaterial } from '../net/tls.ts';
import type { DirectoryCache } from '../recipients/directory-cache.ts';
import type { DiskGuard } from '../store/disk-space.ts';
import type { AuthGuard } from '../auth/guard.ts';
import type { ConnectionGate } from '../net/connection-gate.ts';
import type { ReceiveLog } from './receive-log.ts';

/** Everything the SMTP listener's handlers need. */
/** What the SMTP listener reads of the config: `smtp`, and host name, message limits, connection and login limits, the gateway switch, Haraka plugins. */
export type SmtpListenerConfig = Pick<AppConfig, 'smtp' | 'submission' | 'hostname' | 'message' | 'connections' | 'auth' | 'delivery' | 'haraka'>;

export interface SmtpContext {
  /** Its own section and the few shared settings it reads, not the whole config. */
  config: SmtpListenerConfig;
  stores: Stores;
  hooks: HookRunner;
  tls: TlsMaterial;
  log: Logger;
  directory: DirectoryCache;
  /** Where messages over smtp.spoolThreshold wait, on disk, until they are stored. */
  spoolDir: string;
  /** Free space under the data directory (smtp.queueMinFreeBytes); absent = no check. */
  disk?: DiskGuard;
  /** The appliance's login guard, shared by every service and generation (one of its own when absent). */
  auth?: AuthGuard;
  /** The appliance's connection gate, shared by every service (one of its own when absent). */
  gate?: ConnectionGate;
  /** LG-1: the node's SMTP receive log (smtp.receiveLog); absent = none. */
  receiveLog?: ReceiveLog;
}
