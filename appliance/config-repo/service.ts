/**
 * The config repository in a running appliance: `/config.git/` on the HTTP service (clone, fetch,
 * push; http-backend.ts) and the control socket (control.ts) through which the pre-receive hook
 * and `mailserver config rollback` have a commit checked (schema, policy tests), summarized and
 * applied live. One change at a time; a refused or failed one leaves the running config as it was.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { AppConfig } from '../../core/config/schema.ts';
import type { Logger } from '../../core/log.ts';
import type { Stores } from '../../core/store/ports.ts';
import type { HttpRoutes } from '../http/routes.ts';
import type { ApplyOptions, ApplyResult } from '../runtime/types.ts';
import type { AuthGuard } from '../auth/guard.ts';
import { isConfigAdmin } from './admin-auth.ts';
import { checkConfigDir } from './check.ts';
import { recordApply } from './apply-journal.ts';
import { checkoutFiles, commitDir, markRunning } from './checkout.ts';
import { listenControl, socketPath, type ControlAnswer, type ControlHandler, type ControlRequest } from './control.ts';
import { installPreReceiveHook } from './hook-install.ts';
import { ROUTE, gitHttpHandler } from './http-backend.ts';
import type { ConfigRepository } from './repository.ts';
import type { ConfigClusterLink } from '../cluster/config-sync-link.ts';
import { SerialQueue } from '../../core/serial-queue.ts';

export interface ConfigServiceOptions {
  repo: ConfigRepository;
  dataDir: string;
  stores: Stores;
  http: HttpRoutes;
  log: Logger;
  /** The config new sessions get now. */
  running(): AppConfig;
  apply(config: AppConfig, opts: ApplyOptions): Promise<ApplyResult>;
  /** The appliance's login guard (appliance/auth/guard.ts), shared with SMTP, IMAP and POP3. */
  auth: AuthGuard;
  /** Config across nodes (appliance/cluster/config-sync.ts), with a PostgreSQL store. */
  cluster?: ConfigClusterLink;
}

export interface ConfigService {
  /** The requests of the control socket, in this process (the console's rollback and save). */
  request: ControlHandler;
  close(): Promise<void>;
}

/** Starts the service. */
export async function startConfigService(o: ConfigServiceOptions): Promise<ConfigService> {
  const log = o.log.child({ service: 'config' });
  installPreReceiveHook(o.repo.gitdir);
  const tokens = new Map<string, string>();
  const checks = new SerialQueue();
  const oneAtATime = <T>(fn: () => Promise<T>): Promise<T> => checks.run(fn);

  /** Checks the checkout in `dir` and applies it; every step is said to the pusher. */
  const checkAndApply = async (dir: string, oid: string, label: string, say: (l: string) => void, record = true): Promise<boolean> => {
    say(`mailserver: checking ${oid.slice(0, 7)} (${label})`);
    const result = await checkConfigDir(dir, { log, running: o.running() });
    for (const line of result.info) say(line);
    if (result.errors.length || !result.config) {
      say(`REFUSED: ${result.errors.length} problem(s); the appliance stays on the running config`);
      for (const e of result.errors) say(`error: ${e}`);
      log.warn({ commit: oid, label, errors: result.errors }, 'config refused');
      recordApply(o.dataDir, { commit: oid, result: 'refused', label, errors: result.errors });
      return false;
    }
    const applied = await o.apply(result.config, { configDir: dir, label });
    if (!applied.ok) {
      say(`REFUSED: the new config did not come up: ${applied.error}`);
      for (const p of applied.problems ?? []) say(`error: ${p.path}: ${p.message}`);
      say('the appliance stays on the previous commit');
      log.warn({ commit: oid, label, error: applied.error }, 'config apply failed');
      recordApply(o.dataDir, { commit: oid, result: 'refused', label, errors: [applied.error ?? 'did not come up'] });
      return false;
    }
    say(`applied: generation ${applied.generation} serves new sessions${applied.rebound.length ? `; bound ${applied.rebound.join(', ')}` : ''}`);
    markRunning(o.dataDir, oid);
    // a rollback records the commit it makes (same files), not the old one it brought back
    if (record) recordApply(o.dataDir, { commit: oid, result: 'applied', label });
    log.info({ commit: oid, label, generation: applied.generation }, 'config applied');
    return true;
  };

  const handle = (req: ControlRequest, say: (l: string) => void): Promise<ControlAnswer> => oneAtATime(async () => {
    if (req.op === 'push') {
      const user = req.token ? tokens.get(req.token) : 'a local push';
      if (!user) {
        say('REFUSED: this push is not from an authenticated request');
        return { ok: false };
      }
      if (!/^[0-9a-f]{40}$/.test(req.oid)) return { ok: false };
      // a push that began before another one landed would apply a config git then refuses to record
      const head = await o.repo.head();
      if (req.old !== undefined && (/^0+$/.test(req.old) ? null : req.old) !== head) {
        say('REFUSED: main moved while this push was on its way (another push or a rollback); fetch, merge and push again');
        return { ok: false };
      }
      const dir = commitDir(o.dataDir, req.oid);
      const files = Object.fromEntries(Object.entries(req.files).map(([p, b64]) => [p, Buffer.from(b64, 'base64')]));
      checkoutFiles(files, dir);
      const ok = await checkAndApply(dir, req.oid, `pushed by ${user}`, say);
      if (!ok) fs.rmSync(dir, { recursive: true, force: true });
      else o.cluster?.applied(req.oid, `pushed by ${user}`);
      return { ok };
    }
    if (req.op === 'rollback') {
      const target = await o.repo.resolve(req.rev);
      const files = await o.repo.files(target);
      const dir = commitDir(o.dataDir, target);
      checkoutFiles(files, dir);
      if (!(await checkAndApply(dir, target, `rollback by ${req.author.name}`, say, false))) return { ok: false };
      const oid = await o.repo.commitTree(files, `rollback to ${target.slice(0, 7)}`, req.author);
      recordApply(o.dataDir, { commit: oid, result: 'applied', label: `rollback by ${req.author.name} to ${target.slice(0, 7)}` });
      say(`committed ${oid.slice(0, 7)}: rollback to ${target.slice(0, 7)}`);
      o.cluster?.applied(oid, `rollback by ${req.author.name}`);
      return { ok: true, oid };
    }
    if (req.op === 'commit') {
      const head = await o.repo.head();
      if (req.base !== head) {
        say('REFUSED: main moved since this edit began (a push, a rollback or another save); load it again');
        return { ok: false };
      }
      const files = head ? await o.repo.files(head) : {};
      for (const [p, text] of Object.entries(req.files)) files[p] = Buffer.from(text, 'utf8');
      const oid = await o.repo.writeCommitObject(files, req.message, req.author, head);
      const dir = commitDir(o.dataDir, oid);
      checkoutFiles(files, dir);
      const label = `saved by ${req.author.email}`;
      if (!(await checkAndApply(dir, oid, label, say))) {
        fs.rmSync(dir, { recursive: true, force: true });
        return { ok: false };
      }
      if (!(await o.repo.advance(head, oid))) {
        say('error: applied, but main moved meanwhile; the commit is not on main (push or save again)');
        return { ok: false };
      }
      say(`committed ${oid.slice(0, 7)}: ${req.message.split('\n')[0]}`);
      o.cluster?.applied(oid, label);
      return { ok: true, oid };
    }
    say(`unknown request ${JSON.stringify((req as { op?: unknown }).op)}`);
    return { ok: false };
  });

  // a commit published by another node goes through the same check and live apply as a push
  o.cluster?.attach((c, say) => oneAtATime(async () => {
    const dir = commitDir(o.dataDir, c.id);
    checkoutFiles(c.files, dir);
    if (!(await checkAndApply(dir, c.id, c.label, say, false))) {
      fs.rmSync(dir, { recursive: true, force: true });
      return { ok: false };
    }
    const oid = await o.repo.commitTree(c.files, c.message, c.author);
    recordApply(o.dataDir, { commit: oid, result: 'applied', label: c.label });
    return { ok: true, oid };
  }));

  const closeControl = await listenControl(o.dataDir, handle, (err) => log.error({ err }, 'config control request failed'));
  const unroute = o.http.route(ROUTE, gitHttpHandler({
    projectRoot: o.dataDir,
    authenticate: (user, password) => isConfigAdmin(o.running(), o.stores, user, password),
    // the one login guard of the appliance: the same penalty and hashing cap as SMTP, IMAP, POP3
    guard: o.auth,
    issueToken(user) {
      const token = crypto.randomBytes(24).toString('base64url');
      tokens.set(token, user);
      return { token, release: () => tokens.delete(token) };
    },
    env: { MAILSERVER_CONTROL_SOCKET: socketPath(o.dataDir) },
    // the handler binds its own `service` (config.git): given the unbound logger, the key is there once
    log: o.log,
  }));
  return {
    request: handle,
    async close() {
      unroute();
      await closeControl();
    },
  };
}
