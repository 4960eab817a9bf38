/** What the console works with: the lead worker's running parts, the same the CLI and git push use. */
import type { Context } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import type { AppConfig } from '../../core/config/schema.ts';
import type { Logger } from '../../core/log.ts';
import type { Stores } from '../../core/store/ports.ts';
import type { AuthGuard } from '../auth/guard.ts';
import type { ConfigRepository } from '../config-repo/repository.ts';
import type { ControlHandler } from '../config-repo/control.ts';
import type { TlsMaterial } from '../net/tls.ts';
import type { ClientSettings } from '../autoconfig/servers.ts';
import type { Session } from './session.ts';
import type { Lang, Translate } from './i18n.ts';

export interface ConsoleDeps {
  dataDir: string;
  stores: Stores;
  /** The config new sessions get now. */
  running(): AppConfig;
  /** The appliance's one login guard (penalty and hashing cap), shared with git push and the mail protocols. */
  guard: AuthGuard;
  log: Logger;
  /** The config repository and the config service's requests (rollback, commit), as git push and the CLI reach them. */
  repo: ConfigRepository;
  configRequest: ControlHandler;
  /** The serving generation's TLS material. */
  tls(): TlsMaterial;
  /** What mail clients are told to connect to (the running listeners, as autoconfig answers). */
  clientSettings(): ClientSettings;
}

export type Env = {
  Bindings: HttpBindings;
  Variables: { session: Session; lang: Lang; t: Translate; deps: ConsoleDeps };
};

export type Ctx = Context<Env>;
