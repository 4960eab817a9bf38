/**
 * The delivery service (the seed's EPSTDS): claims due queue batches with a lease, runs up to
 * `workers` transactions at once (TX-1, at most `perDestination` per domain), and commits each
 * batch's outcome together with the bounces it causes. New mail queued in this process is picked
 * up at once; the queue is also scanned every `pollMs` (retries, the CLI's `queue retry`).
 */
import { WorkBusyError, WorkTimeoutError, type WorkPort } from '../../core/work.ts';
import { metrics } from '../metrics/index.ts';
import path from 'node:path';
import type { AppConfig } from '../../core/config/schema.ts';
import { nodeLogDir, type Logger } from '../../core/log.ts';
import type { ClaimedBatch, OutboundItem, RecipientOutcome, Stores } from '../../core/store/ports.ts';
import type { DirectoryCache, DirectorySnapshot } from '../recipients/directory-cache.ts';
import { postmasterRouting, resolveRecipient } from '../recipients/resolve-recipient.ts';
import { DestinationError, MxResolver } from './mx.ts';
import { createRouter, loadGatewayRules, targetsFor, type Route, type Router } from './route.ts';
import { SessionCache, deliverTransaction, type TransactionResult } from './smtp-client.ts';
import { outcomesOf, schedule } from './retry.ts';
import { buildBounce } from './bounce.ts';
import { smtpUtf8Need } from './smtputf8.ts';
import { DeliveryLogs } from './logs.ts';
import { DkimSigner } from './dkim.ts';
import type { HookRunner } from '../../core/hooks.ts';
import { createTransaction, derivedTransactionId, type Recipient, type Transaction } from '../../core/session.ts';
import { commitMessage } from '../submit/commit.ts';
import { removeHeaders } from '../smtp/assemble.ts';

export interface DeliveryDeps {
  config: AppConfig;
  stores: Stores;
  directory: DirectoryCache;
  log: Logger;
  dataDir: string;
  /** Where a relative gatewayTableFile is found (the config file's folder). */
  configDir?: string;
  /**
   * The plugins' hooks: queued mail for a local account runs the local_delivery hook as SMTP
   * mail does (a forward to a local account gets that account's forward and auto-reply too).
   */
  hooks?: HookRunner;
  /** The process's work threads: DKIM signing runs there (none: in this thread). */
  work?: WorkPort;
}

const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1).toLowerCase();

/**
 * The parts of the service built from the config. A config change builds them first
 * (DeliveryService.prepare: a bad gateway table or DKIM folder fails there, before anything
 * changed) and then hands them over (reconfigure).
 */
export interface DeliverySettings {
  deps: DeliveryDeps;
  cfg: AppConfig['delivery'];
  router: Router;
  resolver: MxResolver;
  logs: DeliveryLogs;
  dkim: DkimSigner | null;
}

export class DeliveryService {
  // the config-built parts (DeliverySettings), replaced together by adopt()
  private deps!: DeliveryDeps;
  private cfg!: AppConfig['delivery'];
  private router!: Router;
  private resolver!: MxResolver;
  private logs!: DeliveryLogs;
  private dkim!: DkimSigner | null;
  private readonly sessions = new SessionCache();
  private readonly inFlight = new Map<Promise<void>, ClaimedBatch>();
  private readonly perDomain = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private pumping = false;
  private again = false;
  private stopping = false;
  /** TX-7: false while this node does not hold the cluster's virtual IP (queued mail waits). */
  private active = true;

  static prepare(deps: DeliveryDeps): DeliverySettings {
    const cfg = deps.config.delivery;
    return {
      deps,
      cfg,
      router: createRouter(cfg, loadGatewayRules(cfg, deps.configDir ?? process.cwd())),
      resolver: new MxResolver(cfg.dnsServers, cfg.mxCacheSeconds),
      logs: new DeliveryLogs(cfg.logs.enabled ? nodeLogDir(deps.dataDir, cfg.logs.node ?? deps.config.node.name) : null, deps.log),
      dkim: cfg.dkim.enabled ? new DkimSigner(path.resolve(deps.dataDir, cfg.dkim.keysDir), cfg.dkim.selector, deps.work) : null,
    };
  }

  constructor(deps: DeliveryDeps | DeliverySettings) {
    this.adopt('router' in deps ? deps : DeliveryService.prepare(deps));
  }

  private adopt(s: DeliverySettings): void {
    ({ deps: this.deps, cfg: this.cfg, router: this.router, resolver: this.resolver, logs: this.logs, dkim: this.dkim } = s);
  }

  /**
   * A new config (live apply): the next attempts use its settings and hooks; transactions in
   * flight finish with the ones they started with (their logs are closed after them).
   */
  reconfigure(next: DeliverySettings): void {
    const oldLogs = this.logs;
    const pollChanged = next.cfg.pollMs !== this.cfg.pollMs;
    this.adopt(next);
    void Promise.allSettled([...this.inFlight.keys()]).then(() => oldLogs.close());
    if (pollChanged && this.timer && !this.stopping) {
      clearInterval(this.timer);
      this.timer = setInterval(() => this.kick(), this.cfg.pollMs);
      this.timer.unref();
    }
    this.kick();
  }

  async start(): Promise<void> {
    // one node owns the embedded store: whatever was leased when it stopped is no longer in flight
    const released = await this.deps.stores.queue.releaseAll();
    if (released) this.deps.log.warn({ recipients: released }, 'delivery: taking back recipients that were in flight at the last stop');
    this.unsubscribe = this.deps.stores.queue.onEnqueue(() => this.kick());
    this.timer = setInterval(() => this.kick(), this.cfg.pollMs);
    this.timer.unref();
    this.deps.log.info({ workers: this.cfg.workers, perDestination: this.cfg.perDestination }, 'delivery started');
    this.kick();
  }

  /**
   * TX-7: delivery only while this node holds the virtual IP. Inactive, no new batch is claimed;
   * batches in flight finish (their results are committed, so nothing is sent twice by this node).
   */
  setActive(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    this.deps.log.info({ active }, active ? 'delivery resumed (this node holds the virtual IP)' : 'delivery paused (this node does not hold the virtual IP)');
    if (active) this.kick();
  }

  /** Scans the queue now (new mail, a retry asked for). */
  kick(): void {
    if (this.stopping || !this.active) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    this.pump()
      .catch((err) => this.deps.log.error({ err }, 'delivery: queue scan failed'))
      .finally(() => {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          setImmediate(() => this.kick());
        }
      });
  }

  private async pump(): Promise<void> {
    const { workers, perDestination } = this.cfg;
    while (!this.stopping && this.active && this.inFlight.size < workers) {
      const busy = [...this.perDomain].filter(([, n]) => n >= perDestination).map(([d]) => d);
      const batches = await this.deps.stores.queue.claim(workers - this.inFlight.size, this.cfg.leaseSeconds * 1000, { skipDomains: busy });
      if (!batches.length) return;
      for (const batch of batches) {
        const n = this.perDomain.get(batch.domain) ?? 0;
        if (n >= perDestination || this.stopping) {
          await this.deps.stores.queue.release(batch);
          continue;
        }
        this.perDomain.set(batch.domain, n + 1);
        const task = this.process(batch)
          .catch((err) => {
            // after a stop the store may be closed under a transaction that outlived the grace period
            if (this.stopping) this.deps.log.warn({ err, queueId: batch.queueId }, 'delivery: batch cut short by the stop; it is retried at the next start');
            else this.deps.log.error({ err, queueId: batch.queueId }, 'delivery: batch failed; it is retried when its lease ends');
          })
          .finally(() => {
            this.inFlight.delete(task);
            const left = (this.perDomain.get(batch.domain) ?? 1) - 1;
            if (left) this.perDomain.set(batch.domain, left);
            else this.perDomain.delete(batch.domain);
            this.kick();
          });
        this.inFlight.set(task, batch);
      }
    }
  }

  private async process(batch: ClaimedBatch): Promise<void> {
    const dir = await this.deps.directory.get();
    const route = this.router.route(batch.domain, dir.domains.has(batch.domain));
    const outcomes = route.kind === 'local' ? await this.deliverLocally(batch, dir) : await this.deliverRemote(batch, route);
    const bounces = outcomes.some((o) => o.result === 'failed') ? this.bouncesFor(batch, outcomes, dir, await this.content(batch)) : [];
    await this.deps.stores.queue.complete(batch, outcomes, bounces);
    const destination = route.kind === 'local' ? 'local' : route.kind === 'gateway' ? route.host : batch.domain;
    for (const o of outcomes) metrics.deliveryAttempt(o.result, destination);
    metrics.bounces(bounces.length);
    const byRcpt = new Map(batch.recipients.map((r) => [r.recipient, r]));
    for (const o of outcomes) {
      const attempt = (byRcpt.get(o.recipient)?.attempts ?? 0) + 1;
      const detail = o.result === 'sent' ? o.response : o.result === 'deferred' ? `${o.error} (next ${o.nextAttempt.toISOString()})` : o.error;
      this.logs.delivery(batch.queueId, batch.mailFrom, o.recipient, o.result, attempt, detail);
      if (o.result === 'failed') this.logs.failure(batch.queueId, batch.mailFrom, o.recipient, o.error);
    }
    this.deps.log.debug({ queueId: batch.queueId, domain: batch.domain, route: route.kind, results: outcomes.map((o) => o.result) }, 'delivery attempt');
  }

  private async deliverRemote(batch: ClaimedBatch, route: Exclude<Route, { kind: 'local' }>): Promise<RecipientOutcome[]> {
    let resolved;
    try {
      resolved = await targetsFor(route, batch.domain, this.resolver, this.cfg);
    } catch (err) {
      if (!(err instanceof DestinationError)) throw err;
      const failure = { kind: 'unreachable' as const, error: `${err.status} ${err.message}`, permanent: err.permanent };
      return batch.recipients.map((r) => schedule(r, failure, this.cfg.retry));
    }
    // RFC 5321 §4.4: Return-Path is added at final delivery only; a relay sends none on
    let content = removeHeaders(await this.content(batch), ['Return-Path']);
    if (this.dkim) {
      try {
        content = (await this.dkim.sign(content, batch.mailFrom)).message;
      } catch (err) {
        if (!(err instanceof WorkBusyError || err instanceof WorkTimeoutError)) throw err;
        // not sent unsigned (DMARC would fail it): the attempt is deferred as a local problem
        this.deps.log.warn({ queueId: batch.queueId, err: err.message }, 'delivery: DKIM signing failed; deferred');
        const failure = { kind: 'unreachable' as const, error: `4.3.0 DKIM signing: ${err.message}`, permanent: false };
        return batch.recipients.map((r) => schedule(r, failure, this.cfg.retry));
      }
    }
    const result: TransactionResult = await deliverTransaction(resolved.targets, batch.mailFrom, batch.recipients.map((r) => r.recipient), content, {
      heloName: this.cfg.heloName ?? this.deps.config.hostname,
      timeouts: this.cfg.timeouts,
      verifyCertificates: this.cfg.verifyCertificates,
      onLine: this.cfg.logs.enabled && this.cfg.logs.conversation ? (t, line) => this.logs.send(batch.queueId, `${t.host}[${t.address}]:${t.port}`, line) : undefined,
    }, this.sessions);
    if (this.cfg.logs.enabled && !this.cfg.logs.conversation) this.logTransaction(batch, result);
    if (result.kind === 'sent' && route.kind === 'mx') this.resolver.remember(batch.domain, resolved.mx);
    if (result.kind === 'unreachable' && route.kind === 'mx') this.resolver.forget(batch.domain);
    return outcomesOf(result, batch.recipients, this.cfg.retry);
  }

  /** The send log's one line per transaction: peer, TLS, envelope, outcome. */
  private logTransaction(batch: ClaimedBatch, r: TransactionResult): void {
    const peer = 'target' in r ? `${r.target.host}[${r.target.address}]:${r.target.port}` : batch.domain;
    const rcpts = batch.recipients.map((x) => `<${x.recipient}>`).join(',');
    const outcome =
      r.kind === 'sent' ? `sent${r.tls ? ' TLS' : ''} accepted=${r.accepted.length} rejected=${r.rejected.size}: ${r.response}`
        : r.kind === 'refused' ? `refused: ${r.reply.response}`
          : r.kind === 'line-error' ? `line error: ${r.error}` : `unreachable: ${r.error}`;
    this.logs.send(batch.queueId, peer, `from=<${batch.mailFrom}> to=${rcpts} ${outcome}`);
  }

  /** The message: read with the claim (the cluster store does), else now. */
  private content(batch: ClaimedBatch): Promise<Buffer> {
    return batch.content ? Promise.resolve(batch.content) : this.deps.stores.queue.read(batch.blobId);
  }

  /**
   * Hosted domains: bounces, admin copies, forwards and auto-replies go into the local mailboxes,
   * through the local_delivery hook (per-account filter, forward, auto-reply) when plugins use it.
   */
  private async deliverLocally(batch: ClaimedBatch, dir: DirectorySnapshot): Promise<RecipientOutcome[]> {
    const outcomes: RecipientOutcome[] = [];
    const rcptTo: Transaction['rcptTo'] = [];
    for (const r of batch.recipients) {
      const res = resolveRecipient(dir, r.recipient, postmasterRouting(this.deps.config));
      if (res.kind === 'local') {
        rcptTo.push({ address: r.recipient, params: {}, local: true, accountId: res.account.id, deliveredTo: res.deliveredTo });
        outcomes.push({ recipient: r.recipient, result: 'sent', response: `local mailbox ${res.account.name}@${res.account.domain}` });
      } else if (await this.claimedByPlugin(batch, r.recipient)) {
        outcomes.push({ recipient: r.recipient, result: 'sent', response: 'handled by a plugin' });
      } else {
        outcomes.push({ recipient: r.recipient, result: 'failed', error: `5.1.1 no mailbox here for <${r.recipient}>` });
      }
    }
    if (rcptTo.length) {
      // final delivery here: this server's Return-Path, in place of one the message came with
      const content = Buffer.concat([Buffer.from(`Return-Path: <${batch.mailFrom}>\r\n`), removeHeaders(await this.content(batch), ['Return-Path'])]);
      const tx = createTransaction({ address: batch.mailFrom, params: {} }, batch.queueId);
      tx.rcptTo.push(...rcptTo);
      tx.message = content;
      // as SMTP DATA commits: the local_delivery hooks (filters, forwards, auto-replies) run
      await commitMessage(this.deps.hooks, this.deps.stores, { tx, content, remote: [] });
    }
    return outcomes;
  }

  /**
   * A queued message to a hosted address that is no account (e.g. a list's VERP bounce address,
   * where our own reports go): a plugin's queued_local hook may take it (Recipient.handledBy);
   * what that causes is queued.
   */
  private async claimedByPlugin(batch: ClaimedBatch, recipient: string): Promise<boolean> {
    const hooks = this.deps.hooks;
    if (!hooks?.has('queued_local')) return false;
    const rcpt: Recipient = { address: recipient, params: {}, local: true };
    const tx = createTransaction({ address: batch.mailFrom, params: {} }, batch.queueId);
    tx.message = await this.content(batch);
    const log = this.deps.log.child({ queueId: batch.queueId, rcpt: recipient });
    await hooks.run('queued_local', { tx, rcpt, log });
    if (!rcpt.handledBy) return false;
    for (const item of tx.outbound ?? []) await this.deps.stores.mail.enqueue({ ...item, id: item.id ?? derivedTransactionId(batch.queueId) });
    return true;
  }

  /** RFC 3464 reports for the recipients that failed; none for a bounce (null sender). */
  private bouncesFor(batch: ClaimedBatch, outcomes: RecipientOutcome[], dir: DirectorySnapshot, original: Buffer): OutboundItem[] {
    const failed = outcomes.filter((o): o is Extract<RecipientOutcome, { result: 'failed' }> => o.result === 'failed');
    if (!failed.length || batch.mailFrom === '') return [];
    const hostname = this.deps.config.hostname;
    const recipients = [batch.mailFrom];
    const senderDomain = dir.domains.get(domainOf(batch.mailFrom));
    if (senderDomain?.copyErrorsToAdmin && senderDomain.admin && senderDomain.admin.toLowerCase() !== batch.mailFrom.toLowerCase()) recipients.push(senderDomain.admin);
    const content = buildBounce({
      reportingMta: hostname, from: this.cfg.bounce.from ?? `MAILER-DAEMON@${hostname}`, to: batch.mailFrom, queueId: batch.queueId,
      arrival: batch.created, original, returnContent: this.cfg.bounce.returnContent,
      // RFC 6533: an internationalized report for a message that needed SMTPUTF8
      smtpUtf8: smtpUtf8Need(batch.mailFrom, batch.recipients.map((r) => r.recipient), original) !== null,
      failed: failed.map((f) => ({ recipient: f.recipient, error: f.error, remoteMta: /^(\S+?)\[/.exec(f.error)?.[1] })),
    });
    return [{ mailFrom: '', recipients, content }];
  }

  /** Stops taking work; waits up to `graceMs` for transactions in flight, then gives their leases back. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    const all = Promise.allSettled([...this.inFlight.keys()]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    for (const batch of this.inFlight.values()) await this.deps.stores.queue.release(batch).catch(() => undefined);
    this.sessions.closeAll();
    await this.logs.close();
  }
}
