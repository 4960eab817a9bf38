/**
 * Our Connection as Haraka's `connection` object: remote/local/hello/tls, relaying (read and
 * written through to conn.relaying, or tx.relaying while a transaction runs), notes (conn.notes with haraka-notes' get/set), results
 * (haraka-results), transaction, hook (the Haraka hook being run: haraka-plugin-access reads
 * it), uuid, the log methods, and the legacy aliases (remote_ip, ...). One adapter per
 * Connection (WeakMap), so notes and results persist across hooks.
 */
import os from 'node:os';
import { isRelaying, type Connection, type Transaction } from '../session.ts';
import { CONNECTION_STATE, installGlobals, type HarakaServer } from './constants.ts';
import { installLogMethods, LOG_FIELDS, type HarakaLogMethods } from './log.ts';
import { netUtils, ResultStore } from './modules.ts';
import { asHarakaNotes, type HarakaNotes } from './notes.ts';
import { transactionAdapter, type HarakaTransaction } from './transaction.ts';

export interface HarakaRemote {
  ip: string;
  port: number;
  host: string | null;
  info: string | null;
  closed: boolean;
  is_private: boolean;
  is_local: boolean;
}

export interface HarakaConnection extends HarakaLogMethods {}

export class HarakaConnection {
  [key: string]: unknown;
  readonly #conn: Connection;
  /** The transaction of the hook being run, when the listener has not set conn.transaction yet. */
  #hookTx?: Transaction;

  readonly uuid: string;
  readonly remote: HarakaRemote;
  readonly local: { ip: string; port: number; host: string; info: string };
  readonly hello: { verb: 'HELO' | 'EHLO' | null; host: string | null };
  readonly tls: { enabled: boolean; advertised: boolean; verified: boolean; cipher: Record<string, unknown> };
  readonly proxy = { allowed: false, ip: null, type: null, timer: null };
  readonly notes: HarakaNotes;
  readonly results: ResultStore;
  readonly server: HarakaServer;
  /** Name of the Haraka hook being run. */
  hook: string | null = null;
  state: number = CONNECTION_STATE.CMD;
  errors = 0;
  tran_count = 0;
  rcpt_count = { accept: 0, tempfail: 0, reject: 0 };
  msg_count = { accept: 0, tempfail: 0, reject: 0 };
  readonly start_time = Date.now();
  capabilities: string[] | null = null;
  early_talker = false;
  pipelining = false;
  last_response: string | null = null;

  constructor(conn: Connection, hostname = os.hostname()) {
    this.#conn = conn;
    this.uuid = conn.id;
    const ip = netUtils.normalize_ip(conn.remoteAddress) ?? conn.remoteAddress;
    const isLocal = !!ip && netUtils.is_local_ip(ip);
    this.remote = {
      ip,
      port: conn.remotePort,
      get host() {
        return conn.remoteHost ?? null;
      },
      set host(v: string | null) {
        conn.remoteHost = v ?? undefined;
      },
      get info() {
        return conn.remoteHost ?? null;
      },
      closed: false,
      is_local: isLocal,
      is_private: isLocal || (!!ip && netUtils.is_private_ip(ip)),
    };
    this.local = { ip: netUtils.normalize_ip(conn.localAddress) ?? conn.localAddress, port: conn.localPort, host: hostname, info: 'Haraka' };
    this.hello = {
      get verb() {
        return conn.helo?.verb ?? null;
      },
      set verb(v) {
        conn.helo = v && conn.helo ? { ...conn.helo, verb: v } : v ? { verb: v, host: '' } : undefined;
      },
      get host() {
        return conn.helo?.host ?? null;
      },
      set host(v) {
        conn.helo = v ? { verb: conn.helo?.verb ?? 'EHLO', host: v } : undefined;
      },
    };
    this.tls = {
      get enabled() {
        return conn.secure;
      },
      advertised: false,
      verified: false,
      cipher: {},
    };
    this.notes = asHarakaNotes(conn.notes);
    this.server = installGlobals();
    this.results = new ResultStore(this);
  }

  /** The core connection behind this adapter. */
  get core(): Connection {
    return this.#conn;
  }

  /**
   * As in Haraka 3: set during a transaction, relaying is that transaction's (tx.relaying, gone
   * with the next MAIL FROM); set outside one (connect_init, helo), it is the connection's.
   */
  get relaying(): boolean {
    return isRelaying(this.#conn, this.#conn.transaction ?? this.#hookTx);
  }

  set relaying(v: boolean) {
    const tx = this.#conn.transaction ?? this.#hookTx;
    if (tx) tx.relaying = !!v;
    else this.#conn.relaying = !!v;
  }

  get transaction(): HarakaTransaction | null {
    const tx = this.#conn.transaction ?? this.#hookTx;
    return tx ? transactionAdapter(tx, this) : null;
  }

  get esmtp(): boolean {
    return this.#conn.helo?.verb === 'EHLO';
  }

  /** Used by the runner while a hook that carries a transaction runs. */
  withTransaction(tx: Transaction | undefined): void {
    this.#hookTx = tx;
  }

  // Legacy (Haraka < 2.8) property names, still read by older plugins.
  get remote_ip(): string {
    return this.remote.ip;
  }
  get remote_port(): number {
    return this.remote.port;
  }
  get remote_host(): string | null {
    return this.remote.host;
  }
  get local_ip(): string {
    return this.local.ip;
  }
  get local_port(): number {
    return this.local.port;
  }
  get hello_host(): string | null {
    return this.hello.host;
  }
  get greeting(): string | null {
    return this.hello.verb;
  }
  get using_tls(): boolean {
    return this.tls.enabled;
  }

  /** Haraka's connection.set('remote.host', v) / set('remote', 'host', v). */
  set(path: string, ...rest: unknown[]): void {
    const parts = (rest.length === 2 ? `${path}.${String(rest[0])}` : path).split('.');
    const value = rest.length === 2 ? rest[1] : rest[0];
    let loc = this as Record<string, unknown>;
    for (const [i, part] of parts.entries()) {
      if (part === '__proto__' || part === 'constructor') return;
      if (i === parts.length - 1) loc[part] = value;
      else loc = (loc[part] ??= {}) as Record<string, unknown>;
    }
  }

  get(path: string): unknown {
    return path.split('.').reduce<unknown>((prev, cur) => (prev ? (prev as Record<string, unknown>)[cur] : undefined), this);
  }

  /**
   * Haraka's auth_results(): records an Authentication-Results entry (RFC 8601) in the notes and
   * returns the assembled field; the appliance decides whether to add it.
   */
  auth_results(message?: string): string {
    const tx = this.transaction;
    const connList = ((this.notes.authentication_results as string[] | undefined) ??= []);
    const txList = tx ? ((tx.notes.authentication_results as string[] | undefined) ??= []) : [];
    if (message) (tx ? txList : connList).push(message);
    const parts = [this.local.host, ...connList, ...txList];
    return parts.length === 1 ? '' : parts.join(';\r\n\t');
  }

  [LOG_FIELDS](): Record<string, unknown> {
    return { conn: this.uuid };
  }
}

installLogMethods(HarakaConnection.prototype, (self: HarakaConnection) => self.core.log);

const adapters = new WeakMap<Connection, HarakaConnection>();

/** The Haraka view of `conn` (one per Connection). */
export function connectionAdapter(conn: Connection, hostname?: string): HarakaConnection {
  let c = adapters.get(conn);
  if (!c) {
    c = new HarakaConnection(conn, hostname);
    adapters.set(conn, c);
  }
  return c;
}
