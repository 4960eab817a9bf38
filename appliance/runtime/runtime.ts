/**
 * Live apply: the appliance serves from one config generation at a
 * time. apply() builds the next generation beside the serving one (TLS, plugins, hooks, and
 * only the listening sockets whose addresses are new), and only when all of it came up
 * switches new connections to it; sessions in progress stay on the generation that accepted
 * them, which is shut down when its last session ends (or after a grace period). Any failure
 * closes what the new generation opened and leaves the serving one as it was.
 */
import { metrics } from '../metrics/index.ts';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { AppConfigSchema, type AppConfig } from '../../core/config/schema.ts';
import { jsonPointerToPath } from '../../core/config/load.ts';
import { DeliveryService, type DeliverySettings } from '../delivery/service.ts';
import { ConfigError } from '../../core/errors.ts';
import { buildGeneration, type Generation, type SharedParts } from './generation.ts';
import { ListenerPool } from './listener-pool.ts';
import { LiveRoutes } from './live-routes.ts';
import { diffConfig } from './diff.ts';
import { MaildropLocks } from '../pop3/maildrop.ts';
import type { ApplyOptions, ApplyResult, ConfigApplier, ConfigProblem } from './types.ts';
import { SerialQueue } from '../../core/serial-queue.ts';

export interface RuntimeOptions {
  /**
   * How long a replaced generation waits for its sessions to end before they are told the
   * server is shutting down and its plugins are closed (default 10 minutes).
   */
  drainGraceMs?: number;
  /** Sets the appliance logger's level (absent when the logger came from outside, e.g. tests). */
  setLogLevel?: (level: string) => void;
  /** Called with the delivery service before it starts (the cluster's gate, TX-7). */
  beforeDeliveryStart?: (delivery: DeliveryService) => void;
}

/** Settings that only the process start reads: changing them live is refused. */
const RESTART_ONLY = ['http.listen', 'http.publicUrl', 'delivery.enabled'] as const;

function at(obj: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

export class ConfigRuntime implements ConfigApplier {
  private readonly pool: ListenerPool;
  private readonly pop3Locks: MaildropLocks;
  readonly routes = new LiveRoutes();
  private current!: Generation;
  private readonly draining = new Set<{ gen: Generation; done: Promise<void>; stop: () => void }>();
  private deliveryService: DeliveryService | null = null;
  private readonly applies = new SerialQueue();
  private closed = false;
  private readonly appliedListeners = new Set<(config: AppConfig, opts: ApplyOptions) => void>();

  private constructor(private readonly shared: SharedParts, private readonly opts: RuntimeOptions) {
    this.pool = new ListenerPool(shared.log);
    this.pop3Locks = new MaildropLocks(shared.stores.sessionLocks, (msg, err) => shared.log.warn({ err }, msg));
  }

  /** Builds and switches to generation 1; delivery starts before the first connection is served. */
  static async start(config: AppConfig, configDir: string, shared: SharedParts, opts: RuntimeOptions = {}): Promise<ConfigRuntime> {
    const rt = new ConfigRuntime(shared, opts);
    const lease = rt.pool.lease();
    const routes = rt.routes.forGeneration();
    let gen: Generation;
    try {
      gen = await buildGeneration({ number: 1, config, configDir, shared, sockets: lease.source, routes, pop3Locks: rt.pop3Locks });
    } catch (err) {
      await lease.abort();
      throw err;
    }
    try {
      if (config.delivery.enabled && shared.lead) {
        rt.deliveryService = new DeliveryService(rt.deliverySettings(config, configDir, gen));
        opts.beforeDeliveryStart?.(rt.deliveryService);
        await rt.deliveryService.start();
      }
    } catch (err) {
      await lease.abort();
      await gen.closeSessions(0);
      await gen.closePlugins();
      throw err;
    }
    rt.current = gen;
    shared.auth.configure(config.auth);
    rt.routes.use(routes);
    await lease.commit();
    return rt;
  }

  get config(): AppConfig {
    return this.current.config;
  }

  /** Calls `listener` after every live apply that switched to a new generation; returns the unsubscribe. */
  onApplied(listener: (config: AppConfig, opts: ApplyOptions) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  get generation(): Generation {
    return this.current;
  }

  get delivery(): DeliveryService | null {
    return this.deliveryService;
  }

  private deliverySettings(config: AppConfig, configDir: string, gen: Generation): DeliverySettings {
    const { stores, directory, log, dataDir } = this.shared;
    return DeliveryService.prepare({ config, stores, directory, log, dataDir, configDir, hooks: gen.hooks, work: this.shared.work });
  }

  /** Applies are taken one at a time, in the order asked. */
  apply(config: AppConfig, opts: ApplyOptions = {}): Promise<ApplyResult> {
    return this.applies.run(() => this.applyNow(config, opts)).then((r) => {
      // every worker applies each commit: the lead alone counts it
      if (this.shared.lead) metrics.configApply(r.ok ? 'applied' : 'refused');
      return r;
    });
  }

  private async applyNow(config: AppConfig, opts: ApplyOptions): Promise<ApplyResult> {
    const log = this.shared.log.child({ apply: opts.label ?? `generation ${this.current.number + 1}` });
    const refuse = (error: string, problems?: ConfigProblem[]): ApplyResult => {
      log.warn({ error, problems }, 'config not applied; still serving the previous one');
      return problems ? { ok: false, error, problems } : { ok: false, error };
    };
    if (this.closed) return refuse('the appliance is shutting down');
    // the caller validated it (loadConfig/validateConfig); a hand-made object is checked here
    const invalid = [...Value.Errors(AppConfigSchema, config)].slice(0, 20).map((e) => ({ path: jsonPointerToPath(e.path), message: e.message }));
    if (invalid.length) return refuse(`invalid configuration: ${invalid.map((p) => `${p.path}: ${p.message}`).join('; ')}`, invalid);

    const before = this.current;
    const diff = diffConfig(before.config, config);
    const restart = [...diff.needsRestart, ...RESTART_ONLY.filter((p) => JSON.stringify(at(before.config, p)) !== JSON.stringify(at(config, p)))];
    if (restart.length) {
      return refuse(
        `${restart.join(', ')}: cannot change while running, needs a restart`,
        restart.map((p) => ({ path: p, message: 'cannot change while running; needs a restart' })),
      );
    }

    const configDir = path.resolve(opts.configDir ?? before.configDir);
    const lease = this.pool.lease();
    const routes = this.routes.forGeneration();
    let gen: Generation;
    try {
      gen = await buildGeneration({
        number: before.number + 1, config, configDir, shared: this.shared, sockets: lease.source, routes, pop3Locks: this.pop3Locks,
      });
    } catch (err) {
      await lease.abort();
      if (err instanceof ConfigError) {
        return refuse(`${err.message.split('\n')[0]}: ${err.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, err.problems);
      }
      return refuse((err as Error).message);
    }
    let delivery: DeliverySettings | null = null;
    try {
      if (config.delivery.enabled && this.shared.lead) delivery = this.deliverySettings(config, configDir, gen);
    } catch (err) {
      await lease.abort();
      await gen.closeSessions(0);
      await gen.closePlugins();
      return refuse(`delivery: ${(err as Error).message.split('\n')[0]}`);
    }

    // everything came up: new connections go to the new generation from here on
    this.current = gen;
    this.shared.auth.configure(config.auth);
    if (config.log.level !== before.config.log.level) this.opts.setLogLevel?.(config.log.level);
    this.routes.use(routes);
    const { bound, closed } = await lease.commit();
    this.switchDelivery(delivery);
    this.drain(before);
    log.info({ generation: gen.number, rebound: bound, closed, summary: diff.summary }, 'config applied');
    for (const listener of this.appliedListeners) listener(config, { ...opts, configDir });
    return { ok: true, generation: gen.number, rebound: bound, summary: diff.summary };
  }

  /** delivery.enabled itself needs a restart (RESTART_ONLY): the service is there or not in both. */
  private switchDelivery(next: DeliverySettings | null): void {
    if (this.deliveryService && next) this.deliveryService.reconfigure(next);
  }

  /** Waits for the replaced generation's sessions to end (at most the grace period), then closes it. */
  private drain(gen: Generation): void {
    const graceMs = this.opts.drainGraceMs ?? 600_000;
    let stop = () => {};
    const done = new Promise<void>((resolve) => {
      const end = Date.now() + graceMs;
      let timer: NodeJS.Timeout;
      const tick = () => {
        if (gen.openSessions() === 0 || Date.now() >= end) return resolve();
        timer = setTimeout(tick, 200);
        timer.unref();
      };
      stop = () => {
        clearTimeout(timer);
        resolve();
      };
      tick();
    }).then(async () => {
      await gen.closeSessions(0);
      await gen.closePlugins();
      this.shared.log.info({ generation: gen.number }, 'previous config generation closed');
    });
    const entry = { gen, done, stop };
    this.draining.add(entry);
    void done
      .catch((err) => this.shared.log.warn({ err, generation: gen.number }, 'closing the previous config generation failed'))
      .finally(() => this.draining.delete(entry));
  }

  /** Generations still draining (tests, status). */
  drainingGenerations(): number[] {
    return [...this.draining].map((d) => d.gen.number);
  }

  /** Stops listening, ends every session, stops delivery, then shuts the plugins down. */
  async close(): Promise<void> {
    this.closed = true;
    await this.applies.idle();
    await this.pool.closeAll();
    const old = [...this.draining];
    for (const d of old) d.stop();
    await Promise.all([this.current.closeSessions(), ...old.map((d) => d.done)]);
    if (this.deliveryService) await this.deliveryService.stop();
    await this.current.closePlugins();
  }
}
