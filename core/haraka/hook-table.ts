/**
 * Which Haraka hooks the shim runs, and where. A Haraka hook is either mapped onto a core hook
 * (HookMap), run by the shim itself (deny, init_master), or not supported: registering one of
 * those is logged once, with the reason. The table is exported for the README.
 */
import { isRelaying, type Connection, type EnvelopeAddress, type Recipient, type Transaction } from '../session.ts';
import type { HookName } from '../hooks.ts';
import { toAddress, toHarakaParams } from './address.ts';
import type { HarakaConnection } from './connection.ts';

/** Any core hook context, seen through the fields the shim reads. */
export interface AnyCtx {
  conn: Connection;
  tx?: Transaction;
  from?: EnvelopeAddress;
  rcpt?: Recipient;
  verb?: 'HELO' | 'EHLO';
  host?: string;
  address?: string;
  line?: string;
  queueId?: string;
}

export interface MappedHook {
  status: 'mapped';
  core: HookName;
  /** Added to the Haraka priority so e.g. connect_init runs before every connect hook. */
  priorityOffset?: number;
  /** The Haraka hook runs only when this holds (helo vs ehlo, queue vs queue_outbound). */
  applies?: (ctx: AnyCtx) => boolean;
  /** Haraka's `params` argument. */
  params?: (ctx: AnyCtx, conn: HarakaConnection) => unknown;
  note: string;
}

export interface ShimHook {
  status: 'shim' | 'unsupported';
  note: string;
}

export type HookSupport = MappedHook | ShimHook;

/** Haraka's [Address, params] of mail/rcpt, taken from the transaction adapter so identities match. */
const mailParams = (ctx: AnyCtx, conn: HarakaConnection): unknown => {
  const from = ctx.from && ctx.tx?.mailFrom !== ctx.from ? toAddress(ctx.from.address) : conn.transaction?.mail_from;
  return [from, toHarakaParams(ctx.from?.params)];
};
const rcptParams = (ctx: AnyCtx, conn: HarakaConnection): unknown => {
  const list = conn.transaction?.rcpt_to ?? [];
  const index = ctx.tx && ctx.rcpt ? ctx.tx.rcptTo.indexOf(ctx.rcpt) : -1;
  return [index >= 0 ? list[index] : list[list.length - 1], toHarakaParams(ctx.rcpt?.params)];
};

export const HOOK_SUPPORT: Readonly<Record<string, HookSupport>> = {
  connect_init: { status: 'mapped', core: 'connect', priorityOffset: -1000, note: 'runs before every connect hook' },
  lookup_rdns: {
    status: 'mapped',
    core: 'connect',
    priorityOffset: -500,
    note: 'runs before connect hooks; OK with a host name sets conn.remoteHost (the first answer wins)',
  },
  connect: { status: 'mapped', core: 'connect', note: '' },
  helo: { status: 'mapped', core: 'helo', applies: (c) => c.verb === 'HELO', params: (c) => c.host, note: 'core helo with verb HELO' },
  ehlo: { status: 'mapped', core: 'helo', applies: (c) => c.verb === 'EHLO', params: (c) => c.host, note: 'core helo with verb EHLO' },
  mail: { status: 'mapped', core: 'mail', params: mailParams, note: 'params [Address, {PARAM: value}]' },
  rcpt: { status: 'mapped', core: 'rcpt', params: rcptParams, note: 'params [Address, {PARAM: value}]; OK accepts the recipient' },
  data: { status: 'mapped', core: 'data', note: 'before the 354' },
  data_post: { status: 'mapped', core: 'data_post', note: 'transaction.header/message_stream/body read tx.message' },
  queue: {
    status: 'mapped',
    core: 'queue',
    applies: (c) => !isRelaying(c.conn, c.tx),
    note: 'non-relaying sessions; the appliance still stores the message after OK',
  },
  queue_outbound: {
    status: 'mapped',
    core: 'queue',
    applies: (c) => isRelaying(c.conn, c.tx),
    note: 'relaying sessions; the appliance still stores the message after OK',
  },
  queue_ok: { status: 'mapped', core: 'queue_ok', params: (c) => `Message Queued (${c.queueId})`, note: 'answer ignored' },
  vrfy: { status: 'mapped', core: 'vrfy', params: (c) => c.address, note: 'params: the address (Haraka passes none)' },
  noop: { status: 'mapped', core: 'noop', note: '' },
  rset: { status: 'mapped', core: 'rset', note: 'answer ignored, as in Haraka' },
  quit: { status: 'mapped', core: 'quit', note: 'answer ignored, as in Haraka' },
  unrecognized_command: {
    status: 'mapped',
    core: 'unrecognized_command',
    params: (c) => {
      const m = /^(\S*)(?: +(.*))?$/.exec(c.line ?? '');
      return [m?.[1] ?? '', m?.[2] ?? ''];
    },
    note: 'params [verb, rest]; OK means "answered" and cannot send a reply: the listener answers',
  },
  disconnect: { status: 'mapped', core: 'disconnect', note: 'answer ignored' },
  deny: { status: 'shim', note: 'runs after any DENY* answer of a Haraka hook; OK overrides the rejection' },
  init_master: { status: 'shim', note: 'runs when the plugins are registered, in the lead worker (or the only process)' },
  init_child: { status: 'shim', note: 'runs when the plugins are registered, in every worker of a supervisor (mailserver start)' },
  capabilities: { status: 'unsupported', note: 'no core hook: the listener owns the EHLO keywords' },
  rcpt_ok: { status: 'unsupported', note: 'no core hook after a recipient is accepted' },
  reset_transaction: { status: 'unsupported', note: 'no core hook when a transaction ends' },
  max_data_exceeded: { status: 'unsupported', note: 'the listener enforces the size limit' },
  auth: { status: 'unsupported', note: 'Haraka AUTH lives in plugins (capabilities + unrecognized_command); the listener does AUTH' },
  log: { status: 'unsupported', note: 'logs go to the appliance logger (pino)' },
  get_mx: { status: 'unsupported', note: 'outbound delivery is the appliance engine' },
  deferred: { status: 'unsupported', note: 'outbound delivery is the appliance engine' },
  bounce: { status: 'unsupported', note: 'outbound delivery is the appliance engine' },
  delivered: { status: 'unsupported', note: 'outbound delivery is the appliance engine' },
  send_email: { status: 'unsupported', note: 'outbound delivery is the appliance engine' },
  pre_send_trans_email: { status: 'unsupported', note: 'outbound delivery is the appliance engine' },
  init_http: { status: 'unsupported', note: 'no HTTP server' },
  init_wss: { status: 'unsupported', note: 'no HTTP server' },
};

export const SUPPORTED_HOOKS: readonly string[] = Object.keys(HOOK_SUPPORT).filter((h) => HOOK_SUPPORT[h].status !== 'unsupported');
export const UNSUPPORTED_HOOKS: readonly string[] = Object.keys(HOOK_SUPPORT).filter((h) => HOOK_SUPPORT[h].status === 'unsupported');

/** The support entry of a Haraka hook; names Haraka does not define are unsupported. */
export function hookSupport(hook: string): HookSupport {
  return Object.prototype.hasOwnProperty.call(HOOK_SUPPORT, hook)
    ? HOOK_SUPPORT[hook]
    : { status: 'unsupported', note: 'not a Haraka hook the shim knows' };
}
