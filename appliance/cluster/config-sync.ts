/**
 * Config across nodes: with a PostgreSQL store, a config commit applied on
 * any node (push, rollback, restore) is published to `cluster_config` (config-sync-db.ts) once its
 * own apply succeeded, and every other node, LISTENing, writes the same tree as a commit into its
 * own repository and applies it through the config service's push path. A node starting later
 * adopts the newest published commit before it loads its config (`adoptClusterConfigAtStart`),
 * so it comes up on it; a brand-new node never publishes its own default config over the
 * cluster's. The published oid is the cluster-wide id (logs, `mailserver status`); each
 * follower's own oid for it differs (committer time) and is mapped in config-sync-state.ts.
 *
 * Only with a PostgreSQL store and `node.shareConfig: true` (nodes with their own config files
 * keep them); otherwise none of this runs.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../core/config/load.ts';
import type { Logger } from '../../core/log.ts';
import { operatorConfigFile } from '../config-repo/bootstrap.ts';
import { CONFIG_FILE, checkoutFiles, commitDir } from '../config-repo/checkout.ts';
import { ConfigRepository } from '../config-repo/repository.ts';
import { CHANNEL, ensureTables, latestPublished, publish, recordNode, withClient, withStartLock, type PublishedConfig } from './config-sync-db.ts';
import { ListenConnection } from '../store/postgres/listen-connection.ts';
import type { AdoptFn, ConfigClusterLink } from './config-sync-link.ts';
import { readSyncState, writeSyncState } from './config-sync-state.ts';
import { SerialQueue } from '../../core/serial-queue.ts';

/** How long a push's commit may take to land on main after its apply (git moves the ref after pre-receive). */
const ON_MAIN_WAIT_MS = 10_000;

function sameFiles(a: Record<string, Buffer>, b: Record<string, Buffer>, skip = (_p: string) => false): boolean {
  const ka = Object.keys(a).filter((p) => !skip(p)).sort();
  const kb = Object.keys(b).filter((p) => !skip(p)).sort();
  return ka.length === kb.length && ka.every((p, i) => p === kb[i] && a[p]!.equals(b[p]!));
}

/** The runtime data export (`data/`) is committed by each node on its own; the config is the rest. */
const isData = (p: string) => p.startsWith('data/');

const short = (oid: string) => oid.slice(0, 7);

/**
 * Before the config is loaded (`mailserver start`): when the cluster has a newer published commit
 * than this node took, commit its tree here, so the start-up checks out and runs it. The store
 * URL comes from the config the node would otherwise start on (the repository's HEAD, else the
 * operator's file); no PostgreSQL store, or a config that does not load (the start reports it):
 * nothing to do. PostgreSQL unreachable: a warning, and the node starts on its own HEAD (it
 * catches up once its LISTEN connection is up).
 */
export async function adoptClusterConfigAtStart(opts: { dataDir: string; configFile?: string; log: Logger; repo?: ConfigRepository }): Promise<void> {
  const repo = opts.repo ?? (await ConfigRepository.open(opts.dataDir));
  const head = await repo.head();
  let configPath: string | null;
  if (head && (await repo.read(CONFIG_FILE))) {
    const dir = commitDir(opts.dataDir, head);
    checkoutFiles(await repo.files(head), dir);
    configPath = path.join(dir, CONFIG_FILE);
  } else configPath = operatorConfigFile(opts.configFile);
  if (!configPath) return;
  let config;
  try {
    config = (await loadConfig(configPath)).config;
  } catch {
    return; // prepareRepositoryConfig / loadConfig report it with every problem
  }
  const store = config.store;
  if (store.kind !== 'postgres' || !config.node.shareConfig) return;
  try {
    await withClient(store.url, async (db) => {
      await ensureTables(db);
      await withStartLock(db, async () => {
        const latest = await latestPublished(db);
        const state = readSyncState(opts.dataDir);
        if (!latest || latest.seq <= (state?.seq ?? 0)) return;
        const local = head && sameFiles(await repo.files(head), latest.files)
          ? head
          : await repo.commitTree(latest.files, latest.message, latest.author);
        writeSyncState(opts.dataDir, latest.seq, latest.oid, local);
        opts.log.info({ commit: latest.oid, seq: latest.seq, local, from: latest.node }, `config: starting on the cluster's commit ${short(latest.oid)} (published by ${latest.node})`);
      });
    });
  } catch (err) {
    opts.log.warn({ err: (err as Error).message }, 'config: cannot reach the cluster config in PostgreSQL; starting on this node\'s own commit');
  }
}

export class ClusterConfigSync implements ConfigClusterLink {
  /** Tells this process's publishes apart (a node restarted under the same name is another origin). */
  private readonly origin = `${crypto.randomBytes(6).toString('hex')}`;
  private readonly log: Logger;
  private readonly pool: pg.Pool;
  private readonly channel: ListenConnection;
  private adoptFn: AdoptFn | null = null;
  private readonly queue = new SerialQueue();
  private closed = false;
  /** A published commit this node failed to apply: not tried again until a newer one comes. */
  private failedSeq = 0;
  /** A publish that failed (PostgreSQL away): retried after the next (re)connect. */
  private pendingPublish: string | null = null;

  constructor(private readonly o: { url: string; node: string; dataDir: string; repo: ConfigRepository; log: Logger }) {
    this.log = o.log.child({ part: 'config-sync' });
    this.pool = new pg.Pool({ connectionString: o.url, max: 1, connectionTimeoutMillis: 5000, idleTimeoutMillis: 10_000, keepAlive: true, application_name: 'mailserver-config-sync' });
    this.pool.on('error', () => {});
    // notifications sent while the connection was down are lost: every (re)connect catches up
    this.channel = new ListenConnection({
      url: o.url, channels: [CHANNEL], applicationName: 'mailserver-config-listen', maxRetryMs: 5000, connectionTimeoutMillis: 5000, unrefTimer: true,
    }, {
      onNotification: () => this.enqueue('catch up', () => this.catchUp()),
      onConnect: () => this.enqueue('catch up', async () => {
        if (this.pendingPublish) await this.publishHead(this.pendingPublish);
        await this.catchUp();
      }),
      onLost: (err) => this.log.warn({ err: err?.message }, 'config sync: LISTEN connection lost; reconnecting'),
    });
  }

  attach(adopt: AdoptFn): void {
    this.adoptFn = adopt;
  }

  applied(oid: string, label: string): void {
    this.enqueue('publish', async () => {
      // a push is applied in git's pre-receive hook: git moves main only after the hook said yes
      const deadline = Date.now() + ON_MAIN_WAIT_MS;
      while ((await this.o.repo.head()) !== oid) {
        if (Date.now() > deadline || this.closed) {
          this.log.warn({ commit: oid, label }, 'config sync: the applied commit did not land on main; not published');
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      await this.publishHead(label);
    });
  }

  /** Starts listening; publishes this node's HEAD when the cluster has no config yet (or it changed here while the node was down). */
  async start(): Promise<() => Promise<void>> {
    await this.run(async () => {
      const client = await this.pool.connect();
      try {
        await ensureTables(client);
        const decision = await withStartLock(client, async () => {
          const latest = await latestPublished(client);
          const state = readSyncState(this.o.dataDir);
          const head = await this.o.repo.head();
          if (!head) return 'nothing';
          if (!latest) return 'publish';
          if ((state?.seq ?? 0) >= latest.seq && !sameFiles(await this.o.repo.files(head), latest.files, isData)) return 'publish';
          return 'nothing';
        });
        // on the start client: the pool has one connection, and this one holds it
        if (decision === 'publish') await this.publishHead('start', client);
        else await this.recordSelf(null, client);
      } finally {
        client.release();
      }
    }).catch((err: Error) => this.log.warn({ err: err.message }, 'config sync: cannot reach PostgreSQL at start; retrying in the background'));
    this.channel.start();
    return () => this.close();
  }

  private enqueue(what: string, fn: () => Promise<void>): void {
    void this.run(fn).catch((err: Error) => this.log.warn({ err: err.message }, `config sync: ${what} failed; trying again after the next reconnect or notification`));
  }

  private run<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(() => (this.closed ? (undefined as T) : fn()));
  }

  /** Publishes main's HEAD (the commit this node just applied) for the other nodes. */
  private async publishHead(label: string, held?: pg.PoolClient): Promise<void> {
    const head = await this.o.repo.head();
    if (!head) return;
    this.pendingPublish = label;
    const [info] = await this.o.repo.log(1);
    const files = await this.o.repo.files(head);
    const client = held ?? (await this.pool.connect());
    let seq: number;
    try {
      seq = await publish(client, { oid: head, files, author: info!.author, message: info!.message, node: this.o.node, origin: this.origin });
    } finally {
      if (!held) client.release();
    }
    this.pendingPublish = null;
    writeSyncState(this.o.dataDir, seq, head, head);
    await this.recordSelf(null, held);
    this.log.info({ commit: head, seq, label }, `config sync: published ${short(head)} (${label}) to the cluster`);
  }

  /** A newer published commit than this node took: apply it through the push path. */
  private async catchUp(): Promise<void> {
    const latest = await latestPublished(this.pool);
    const state = readSyncState(this.o.dataDir);
    if (!latest || latest.seq <= (state?.seq ?? 0) || latest.seq === this.failedSeq) return;
    if (latest.origin === this.origin) return; // our own publish (its state is written right after)
    await this.adopt(latest);
  }

  private async adopt(c: PublishedConfig): Promise<void> {
    const head = await this.o.repo.head();
    if (head && sameFiles(await this.o.repo.files(head), c.files)) {
      writeSyncState(this.o.dataDir, c.seq, c.oid, head);
      await this.recordSelf(null);
      this.log.info({ commit: c.oid, seq: c.seq }, `config sync: already on the cluster's commit ${short(c.oid)}`);
      return;
    }
    if (!this.adoptFn) throw new Error('the config service is not running');
    const label = `cluster commit ${short(c.oid)} from ${c.node}`;
    const lines: string[] = [];
    const t0 = Date.now();
    const r = await this.adoptFn({ id: c.oid, files: c.files, message: c.message, author: c.author, label }, (l) => lines.push(l));
    if (r.ok && r.oid) {
      writeSyncState(this.o.dataDir, c.seq, c.oid, r.oid);
      await this.recordSelf(null);
      this.log.info({ commit: c.oid, seq: c.seq, local: r.oid, from: c.node, ms: Date.now() - t0 }, `config sync: applied ${label}`);
      return;
    }
    this.failedSeq = c.seq;
    const error = lines.filter((l) => /^(REFUSED|error:)/.test(l)).join('; ') || 'not applied';
    await this.recordSelf({ seq: c.seq, oid: c.oid, error });
    this.log.error({ commit: c.oid, seq: c.seq, from: c.node, error }, `config sync: ${label} NOT applied; this node stays on its running config`);
  }

  /** This node's row in cluster_config_nodes: the published commit it runs, or the one it failed on. */
  /** `held`: a client of this.pool already checked out by the caller (the pool has one connection). */
  private async recordSelf(failed: { seq: number; oid: string; error: string } | null, held?: pg.PoolClient): Promise<void> {
    const state = readSyncState(this.o.dataDir);
    const local = Object.entries(state?.ids ?? {}).find(([, id]) => id === state?.id)?.[0] ?? null;
    await recordNode(held ?? this.pool, {
      node: this.o.node, seq: state?.seq ?? null, oid: state?.id ?? null, localOid: local,
      error: failed ? `${short(failed.oid)} (seq ${failed.seq}) not applied: ${failed.error}` : null,
    });
  }

  private async close(): Promise<void> {
    this.closed = true;
    await this.channel.close();
    await this.queue.idle();
    await this.pool.end().catch(() => undefined);
  }
}
