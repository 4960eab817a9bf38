/**
 * The closed, typed hook table and its async runner (DESIGN.md conventions 4 and 6).
 * Registering a hook that is not in HOOK_NAMES is an error; there is no dispatch by
 * building method names.
 */
import type { Connection, Transaction, Recipient, EnvelopeAddress } from './session.ts';
import type { Verdict } from './verdict.ts';
import type { Logger } from './log.ts';
import type { MetricsPort } from './metrics.ts';
import type { OutboundItem } from './store/ports.ts';
import type { MessageContent } from './store/content.ts';

export interface HookMap {
  /** A client connected (any protocol). */
  connect: { conn: Connection };
  /** HELO/EHLO. */
  helo: { conn: Connection; verb: 'HELO' | 'EHLO'; host: string };
  /** AUTH succeeded at the credential check; a hook may still refuse the login. */
  auth: { conn: Connection; method: string; login: string };
  mail: { conn: Connection; tx: Transaction; from: EnvelopeAddress };
  rcpt: { conn: Connection; tx: Transaction; rcpt: Recipient };
  /** DATA command received, before the 354. */
  data: { conn: Connection; tx: Transaction };
  /** The whole message has arrived (tx.message is set), before it is stored. */
  data_post: { conn: Connection; tx: Transaction };
  /** The message is about to be committed; an accept here does not skip storage. */
  queue: { conn: Connection; tx: Transaction };
  /** After the message was committed and the 250 decided. */
  queue_ok: { conn: Connection; tx: Transaction; queueId: string };
  /**
   * One local account a message is being delivered to, after it was accepted and before it
   * is stored: per-account filters, forwarding and auto-replies change `plan` (by priority:
   * PRIORITY.filter, .forward, .autoreply). Runs for SMTP deliveries (conn set) and for
   * queued mail the delivery engine brings to a local account (conn unset). A reject
   * here cannot refuse one recipient of an accepted message: it is logged and ignored.
   */
  local_delivery: { conn?: Connection; tx: Transaction; rcpt: Recipient; accountId: number; plan: LocalDeliveryPlan };
  /**
   * The delivery queue hands a message to a hosted address that is no account (e.g. a list's
   * address or its bounce address, where mail the appliance made itself arrives): a plugin
   * takes it by setting `rcpt.handledBy`, as in its rcpt hook, and does what the address means
   * (tx.message is the queued message); what it causes goes to tx.outbound and is queued. Not
   * taken: the recipient fails with 5.1.1. There is no SMTP session (no conn).
   */
  queued_local: { tx: Transaction; rcpt: Recipient; log: Logger };
  vrfy: { conn: Connection; address: string };
  noop: { conn: Connection };
  rset: { conn: Connection };
  quit: { conn: Connection };
  unrecognized_command: { conn: Connection; line: string };
  /** The connection closed. Verdicts are ignored. */
  disconnect: { conn: Connection };
}

/** What happens to a message for one local account (see the local_delivery hook). */
export interface LocalDeliveryPlan {
  /** Folder of the account's mailbox to store into. */
  folder: string;
  /** False: keep no copy in the mailbox (forward-only, or discarded by a filter). */
  keep: boolean;
  /**
   * The bytes to store; replace to store a changed copy (tag, warning) for this account only.
   * A large message is spooled (MessageContent, not in memory): a hook that reads the bytes
   * calls `bytes()`, which loads it once (bounded by smtp.maxMessageSize) — and only hooks that
   * act for this account should, so mail to other accounts is never loaded.
   */
  content: Buffer | MessageContent;
  /** The content as a Buffer (loaded on first call; `content` is the loaded Buffer afterwards). */
  bytes(): Promise<Buffer>;
  /** Extra copies for this account, in other folders (e.g. a filter's "keep a copy" folder). */
  copies: { folder: string; content: Buffer | MessageContent }[];
  /** Messages to send because of this delivery (forwards, auto-replies), committed with it. */
  outbound: OutboundItem[];
}

export type HookName = keyof HookMap;

/**
 * Named hook priorities (lower runs earlier; a plugin's default is 0), so the order between
 * plugins is read in one place instead of from numbers spread over them.
 */
export const PRIORITY = {
  /** relay-effect's connect/MAIL/RCPT checks: a ban or an AUTH requirement before any other plugin's accept. */
  policy: -100,
  /** autoreply's SRS addresses at RCPT: rewritten back to the original sender before the relay rules see them. */
  srs: -10,
  default: 0,
  /** data_post: the virus scan, before the content filter. */
  virusScan: 10,
  /** data_post: the global mail filter (mailfilter), after the virus scan. */
  contentFilter: 20,
  /** local_delivery: the account's own filter rules first, */
  filter: 100,
  /** then its auto-forward, */
  forward: 200,
  /** then its auto-reply. */
  autoreply: 300,
  /** relay-effect's RCPT relay decision: after every plugin that may take an address itself. */
  relayDecision: 900,
} as const;

export const HOOK_NAMES: readonly HookName[] = [
  'connect', 'helo', 'auth', 'mail', 'rcpt', 'data', 'data_post', 'queue', 'queue_ok',
  'local_delivery', 'queued_local', 'vrfy', 'noop', 'rset', 'quit', 'unrecognized_command', 'disconnect',
] as const satisfies readonly HookName[];

/**
 * A hook handler. `signal` is aborted when the handler runs past hookTimeoutMs: the session has
 * moved on (with a 451), so a handler still running must stop touching the transaction and the
 * connection (check `signal.aborted` after each await; pass it to fetch, DNS or a scanner).
 */
export type HookHandler<K extends HookName> = (ctx: HookMap[K], signal: AbortSignal) => Verdict | void | Promise<Verdict | void>;

interface Registration<K extends HookName> {
  plugin: string;
  priority: number;
  handler: HookHandler<K>;
  seq: number;
}

export interface HookRunnerOptions {
  /** Per-hook timeout; a hook that runs longer yields a temporary failure. */
  timeoutMs: number;
  log: Logger;
  /** Where each handler's run time goes (per plugin and hook); none = not measured. */
  metrics?: Pick<MetricsPort, 'hookRun'>;
}

/** Names of plugins whose hooks are skipped for this transaction (Haraka's transaction.notes.skip_plugins). */
function skipped(ctx: object): string[] {
  const tx = (ctx as { tx?: Transaction }).tx ?? (ctx as { conn?: Connection }).conn?.transaction;
  const list = tx?.notes?.skip_plugins;
  return Array.isArray(list) ? (list as string[]) : [];
}

/**
 * What the client is told when a hook throws or times out: a temporary failure that names no
 * plugin (the log has the plugin, the hook and the error; a client learns nothing of the set-up).
 */
const TEMPORARY_FAILURE: Verdict = { kind: 'reject', permanent: false, message: 'Temporary local problem, please try again later', code: 451, enhanced: '4.3.0' };

export class HookRunner {
  private readonly table = new Map<HookName, Registration<HookName>[]>();
  private seq = 0;
  constructor(private readonly opts: HookRunnerOptions) {}

  register<K extends HookName>(hook: K, plugin: string, handler: HookHandler<K>, priority = 0): void {
    if (!HOOK_NAMES.includes(hook)) {
      throw new Error(`plugin ${plugin}: unknown hook "${String(hook)}" (known: ${HOOK_NAMES.join(', ')})`);
    }
    const list = this.table.get(hook) ?? [];
    list.push({ plugin, priority, handler: handler as HookHandler<HookName>, seq: this.seq++ });
    // lower priority runs first; equal priority keeps registration order
    list.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    this.table.set(hook, list);
  }

  has(hook: HookName): boolean {
    return (this.table.get(hook)?.length ?? 0) > 0;
  }

  /**
   * Runs the chain for one hook. The first verdict other than `next` ends it. A hook that
   * throws or exceeds the timeout yields a temporary failure and is logged with its plugin.
   */
  async run<K extends HookName>(hook: K, ctx: HookMap[K]): Promise<Verdict> {
    const list = this.table.get(hook);
    if (!list) return { kind: 'next' };
    const skip = skipped(ctx);
    for (const reg of list) {
      if (skip.includes(reg.plugin)) continue;
      const verdict = await this.runOne(hook, reg as Registration<K>, ctx);
      if (verdict.kind !== 'next') return verdict;
    }
    return { kind: 'next' };
  }

  private async runOne<K extends HookName>(hook: K, reg: Registration<K>, ctx: HookMap[K]): Promise<Verdict> {
    let timer: NodeJS.Timeout | undefined;
    const abort = new AbortController();
    const timeout = new Promise<Verdict>((resolve) => {
      timer = setTimeout(() => {
        this.opts.log.error({ plugin: reg.plugin, hook, timeoutMs: this.opts.timeoutMs }, 'hook timed out');
        abort.abort(new Error(`hook ${hook} of plugin ${reg.plugin} timed out after ${this.opts.timeoutMs} ms`));
        resolve(TEMPORARY_FAILURE);
      }, this.opts.timeoutMs);
    });
    const started = this.opts.metrics ? performance.now() : 0;
    try {
      const result = Promise.resolve().then(() => reg.handler(ctx, abort.signal)).then((v) => v ?? { kind: 'next' as const });
      return await Promise.race([result, timeout]);
    } catch (err) {
      this.opts.log.error({ plugin: reg.plugin, hook, err }, 'hook failed');
      return TEMPORARY_FAILURE;
    } finally {
      clearTimeout(timer);
      this.opts.metrics?.hookRun(reg.plugin, hook, (performance.now() - started) / 1000);
    }
  }
}
